import * as grpc from '@grpc/grpc-js';
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
