import * as grpc from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { batchJobId } from '../src/index.js';
import { connect, openRun, rowsRecord, stream } from './helpers.js';
import { scaledCluster, until } from './scaled-helpers.js';

const batch = (...records: Buffer[]) => ({ batch: { records } });

describe('scaled mode errors', () => {
  it('ends the stream with the code of a job that failed for good, without retrying it', async () => {
    // A worker with a lower record limit than the coordinator refuses the batch as INVALID_ARGUMENT.
    await using cluster = await scaledCluster({ coordinators: 1, workers: 0 });
    const worker = await cluster.addWorker({ limits: { maxRecordsPerBatch: 1 } });
    const coordinator = cluster.coordinators[0]!;
    using client = connect(coordinator.grpcAddress);
    await openRun(client, { project: 'p', runId: 'r1' });
    const s = stream(client, { project: 'p', runId: 'r1' });
    await s.ackAtLeast(0);
    s.write(batch(rowsRecord(1, 0, 1), rowsRecord(2, 1, 1)));
    const end = await s.ended;
    expect(end.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(end.details).toBe('job.data.batches[0].records: holds 2 records; at most 1 are allowed');
    expect(worker.stats().failedAttempts).toBe(1);
    expect(await coordinator.metrics()).toMatch(/cohort_errors_total\{code="INVALID_ARGUMENT"\} 1\b/);
  });

  it('answers UNAVAILABLE once a retryable failure outlasts the attempts, and lets the resend queue afresh', async () => {
    await using cluster = await scaledCluster({ coordinators: 1, workers: 0, scaled: { jobAttempts: 2 } });
    await cluster.addWorker({ retryInitialMs: 10, retryMaxMs: 20 });
    const coordinator = cluster.coordinators[0]!;
    using client = connect(coordinator.grpcAddress);
    await openRun(client, { project: 'p', runId: 'r1' });
    const s = stream(client, { project: 'p', runId: 'r1' });
    await s.ackAtLeast(0);
    // Seqs 3..4 on a run that applied nothing: a gap, as when an earlier batch was lost.
    s.write(batch(rowsRecord(3, 0, 1), rowsRecord(4, 1, 1)));
    const end = await s.ended;
    expect(end.code).toBe(grpc.status.UNAVAILABLE);
    expect(end.details).toMatch(/^batch 3\.\.4 could not be applied yet \(records: gap in run r1: expected seq 1/);
    expect(await cluster.queue.getJob(batchJobId({ entity: 'local', project: 'p', runId: 'r1', writer: '' }, 3, 4))).toBeUndefined();

    // The SDK reconnects and resends from its last ack: everything applies.
    const again = stream(client, { project: 'p', runId: 'r1' });
    await again.ackAtLeast(0);
    again.write(batch(rowsRecord(1, 0, 1), rowsRecord(2, 1, 1), rowsRecord(3, 2, 1), rowsRecord(4, 3, 1)));
    await again.ackAtLeast(4);
    again.end();
    expect((await again.ended).code).toBe(grpc.status.OK);
  });
});

describe('scaled mode when Redis loses a job', () => {
  it('notices the lost job, finds it unapplied in PostgreSQL and ends the stream UNAVAILABLE for the SDK to resend', async () => {
    await using cluster = await scaledCluster({ coordinators: 1, workers: 0, scaled: { lostJobCheckMs: 100 } });
    const coordinator = cluster.coordinators[0]!;
    using client = connect(coordinator.grpcAddress);
    await openRun(client, { project: 'p', runId: 'r1' });
    const s = stream(client, { project: 'p', runId: 'r1' });
    await s.ackAtLeast(0);
    s.write(batch(rowsRecord(1, 0, 1)));
    const jobId = batchJobId({ entity: 'local', project: 'p', runId: 'r1', writer: '' }, 1, 1);
    await until(async () => (await cluster.queue.getJob(jobId)) !== undefined, 5000, 'the job');
    // As if Redis restarted without its data.
    await cluster.queue.obliterate({ force: true });
    const end = await s.ended;
    expect(end.code).toBe(grpc.status.UNAVAILABLE);
    expect(end.details).toContain('was not applied in time');
  });
});

describe('scaled mode when Redis loses the shard count', () => {
  it('records the shard count again when Redis loses its key, and flags another count recorded meanwhile', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    await using cluster = await scaledCluster({ coordinators: 1, workers: 0, coordinator: { logger }, scaled: { lostJobCheckMs: 50 } });
    const worker = await cluster.addWorker({ logger, queueShardsCheckMs: 50 });
    const coordinator = cluster.coordinators[0]!;
    const redis = new Redis(cluster.redisUrl, { maxRetriesPerRequest: 1 });
    try {
      const key = `${cluster.prefix}:shards`;
      expect(await redis.get(key)).toBe('1');
      // As if a failover lost it: the running coordinator and worker record their count again.
      await redis.del(key);
      await until(async () => (await redis.get(key)) === '1', 5000, 'the count recorded again');
      // Another count recorded while the key was gone (a process started with --queue-shards 3): both flag it.
      await redis.set(key, '3');
      const mismatch = (n: number) => async () => (await Promise.all([coordinator.metrics(), worker.metrics()])).every((m) => m.includes(`\ncohort_queue_shards_mismatch ${n}\n`));
      await until(mismatch(1), 5000, 'the mismatch gauges');
      const errors = lines.filter((l) => l['level'] === 50 && l['key'] === key);
      expect(new Set(errors.map((l) => l['component']))).toEqual(new Set(['batch-producer', 'worker']));
      for (const l of errors) expect(l).toMatchObject({ queueShards: 1, recorded: 3, msg: expect.stringContaining('has 1 but the deployment') });
      expect(await redis.get(key)).toBe('3');
      // Gone again: recorded with the running count, and the gauges fall back.
      await redis.del(key);
      await until(mismatch(0), 5000, 'the gauges back to 0');
      expect(await redis.get(key)).toBe('1');
    } finally {
      redis.disconnect();
    }
  });
});
