import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { openPostgresStore, PostgresStore, type Store } from '@cohort/store';
import { batchJobId } from '../src/index.js';
import { connect, openRun, rowsRecord, stream } from './helpers.js';
import { scaledCluster, until } from './scaled-helpers.js';

const batch = (...records: Buffer[]) => ({ batch: { records } });

/** A store whose `commitBatch` and `commitBatches` are slowed and recorded: which run, which seq, at once with how many other runs. */
function recordingStore(target: PostgresStore): { store: Store; commits: Array<{ pk: number; appliedSeq: number; ok: boolean }>; mostAtOnce: () => number } {
  const commits: Array<{ pk: number; appliedSeq: number; ok: boolean }> = [];
  let active = 0;
  let most = 0;
  const commitAll = async (items: Parameters<Store['commitBatches']>[0]): Promise<boolean[]> => {
    active += items.length;
    most = Math.max(most, active);
    try {
      await new Promise((r) => setTimeout(r, 10));
      const ok = await target.commitBatches(items);
      items.forEach((item, i) => commits.push({ pk: item.pk, appliedSeq: item.write.appliedSeq, ok: ok[i]! }));
      return ok;
    } finally {
      active -= items.length;
    }
  };
  const store = new Proxy(target, {
    get(t, key) {
      if (key === 'commitBatches') return commitAll;
      if (key === 'commitBatch') {
        return async (pk: number, expectedVersion: number, write: Parameters<Store['commitBatch']>[2]) => (await commitAll([{ pk, expectedVersion, write }]))[0]!;
      }
      const value: unknown = Reflect.get(t, key, t);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(t) : value;
    },
  });
  return { store, commits, mostAtOnce: () => most };
}

describe('scaled mode queueing', () => {
  it('queues a batch resent over another coordinator once, and applies it once', async () => {
    await using cluster = await scaledCluster({ coordinators: 2, workers: 0 });
    const [a, b] = cluster.coordinators as [(typeof cluster.coordinators)[0], (typeof cluster.coordinators)[0]];
    using clientA = connect(a.grpcAddress);
    using clientB = connect(b.grpcAddress);
    await openRun(clientA, { project: 'p', runId: 'r1' });
    const first = stream(clientA, { project: 'p', runId: 'r1' });
    await first.ackAtLeast(0);
    const records = [rowsRecord(1, 0, 2), rowsRecord(2, 2, 2), rowsRecord(3, 4, 2)];
    first.write(batch(...records));
    // The SDK reconnects to the other coordinator and resends from its last ack (0) while the job waits.
    const second = stream(clientB, { project: 'p', runId: 'r1' });
    await second.ackAtLeast(0);
    second.write(batch(...records));
    const jobId = batchJobId({ entity: 'local', project: 'p', runId: 'r1', writer: '' }, 1, 3);
    await until(async () => (await cluster.queue.getJob(jobId)) !== undefined, 5000, 'the job');
    await new Promise((r) => setTimeout(r, 200));
    expect(await cluster.queue.getJobCounts('waiting', 'active', 'delayed')).toEqual({ waiting: 1, active: 0, delayed: 0 });

    const worker = await cluster.addWorker();
    await Promise.all([first.ackAtLeast(3), second.ackAtLeast(3)]);
    expect(worker.stats().completed).toBe(1);
    const rows = await a.engine.history({ entity: 'local', project: 'p', runId: 'r1' });
    expect(rows.map((r) => r['_step'])).toEqual([0, 1, 2, 3, 4, 5]);
    first.end();
    second.end();
    expect((await first.ended).code).toBe(grpc.status.OK);
    expect((await second.ended).code).toBe(grpc.status.OK);
  });

  it('applies the batches of each run in seq order, one at a time, while many runs apply in parallel', async () => {
    await using cluster = await scaledCluster({ coordinators: 1, workers: 0 });
    await using pgStore = await openPostgresStore(cluster.db.url, { max: 10 });
    const recorded = recordingStore(pgStore);
    await cluster.addWorker({ store: recorded.store, concurrency: 4 });
    await cluster.addWorker({ store: recorded.store, concurrency: 4 });
    const coordinator = cluster.coordinators[0]!;
    using client = connect(coordinator.grpcAddress);
    const runs = Array.from({ length: 8 }, (_, i) => `run${i}`);
    const batches = 6;
    await Promise.all(runs.map((runId) => openRun(client, { project: 'p', runId })));
    const streams = await Promise.all(
      runs.map(async (runId) => {
        const s = stream(client, { project: 'p', runId });
        await s.ackAtLeast(0);
        for (let k = 0; k < batches; k++) s.write(batch(rowsRecord(2 * k + 1, 10 * k, 5), rowsRecord(2 * k + 2, 10 * k + 5, 5)));
        return s;
      }),
    );
    await Promise.all(streams.map((s) => s.ackAtLeast(2 * batches)));

    const byRun = new Map<number, number[]>();
    for (const c of recorded.commits) {
      expect(c.ok, 'no applier lost a version race: one batch of a run at a time').toBe(true);
      byRun.set(c.pk, [...(byRun.get(c.pk) ?? []), c.appliedSeq]);
    }
    expect(byRun.size).toBe(runs.length);
    for (const seqs of byRun.values()) {
      // In seq order, each commit after the one before (batches that waited together may go as one job).
      expect(seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!)).toBe(true);
      expect(seqs.at(-1)).toBe(2 * batches);
    }
    expect(recorded.mostAtOnce()).toBeGreaterThan(1);
    for (const runId of runs) {
      const rows = await coordinator.engine.history({ entity: 'local', project: 'p', runId });
      expect(rows.map((r) => r['_step'])).toEqual(Array.from({ length: 10 * batches }, (_, i) => i));
    }
    for (const s of streams) s.end();
  });

  it('merges the batches of a run that waited together into one job', async () => {
    await using cluster = await scaledCluster({ coordinators: 1, workers: 0 });
    const coordinator = cluster.coordinators[0]!;
    using client = connect(coordinator.grpcAddress);
    await openRun(client, { project: 'p', runId: 'r1' });
    const s = stream(client, { project: 'p', runId: 'r1' });
    await s.ackAtLeast(0);
    for (let k = 0; k < 5; k++) s.write(batch(rowsRecord(k + 1, 10 * k, 10)));
    await until(() => coordinator.stats().queuedBatches === 5, 5000, 'five queued batches');
    const worker = await cluster.addWorker();
    await s.ackAtLeast(5);
    // Five batches waited; they went as fewer jobs (the first may go alone, or with the rest if
    // the worker took it after they queued): never one job per batch.
    const jobs = worker.stats().completed;
    expect(jobs).toBeGreaterThanOrEqual(1);
    expect(jobs).toBeLessThanOrEqual(2);
    const rows = await coordinator.engine.history({ entity: 'local', project: 'p', runId: 'r1' });
    expect(rows.map((r) => r['_step'])).toEqual(Array.from({ length: 50 }, (_, i) => i));
    s.end();
  });

  it('gathers the batches of runs that arrive together into one job, and settles each batch by its own result', async () => {
    // A full job goes at once: three batches, one job, whatever the machine's speed.
    await using cluster = await scaledCluster({ coordinators: 1, workers: 0, scaled: { gatherMs: 60_000, maxJobBatches: 3 } });
    const coordinator = cluster.coordinators[0]!;
    using client = connect(coordinator.grpcAddress);
    const runs = ['a', 'b', 'c'];
    await Promise.all(runs.map((runId) => openRun(client, { project: 'p', runId })));
    const streams = await Promise.all(
      runs.map(async (runId) => {
        const s = stream(client, { project: 'p', runId });
        await s.ackAtLeast(0);
        return s;
      }),
    );
    // The worker takes at most 2 rows per record: run a's batch fails for good, the others apply.
    const [a, b, c] = streams as [(typeof streams)[0], (typeof streams)[0], (typeof streams)[0]];
    a.write(batch(rowsRecord(1, 0, 3)));
    b.write(batch(rowsRecord(1, 0, 2)));
    c.write(batch(rowsRecord(1, 0, 1), rowsRecord(2, 1, 1)));
    await until(async () => (await cluster.queue.getJobCounts('waiting')).waiting === 1, 5000, 'the gathered job');
    const worker = await cluster.addWorker({ limits: { maxRowsPerRecord: 2 } });
    await Promise.all([b.ackAtLeast(1), c.ackAtLeast(2)]);
    const end = await a.ended;
    expect(end.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(end.details).toContain('job.data.batches[0]');
    expect(worker.stats()).toMatchObject({ completed: 1, failedAttempts: 0 });
    expect((await coordinator.engine.history({ entity: 'local', project: 'p', runId: 'c' })).map((r) => r['_step'])).toEqual([0, 1]);
    b.end();
    c.end();
  });

  it('holds batches back while the queue is deeper than its bound, and lets them through as it drains', async () => {
    // One batch per job, so that the five batches make five jobs (the bound counts jobs).
    await using cluster = await scaledCluster({ coordinators: 1, workers: 0, scaled: { maxQueueDepth: 2, depthPollMs: 25, maxJobBatches: 1 } });
    const coordinator = cluster.coordinators[0]!;
    using client = connect(coordinator.grpcAddress);
    const runs = ['a', 'b', 'c', 'd', 'e'];
    await Promise.all(runs.map((runId) => openRun(client, { project: 'p', runId })));
    const streams = await Promise.all(
      runs.map(async (runId) => {
        const s = stream(client, { project: 'p', runId });
        await s.ackAtLeast(0);
        s.write(batch(rowsRecord(1, 0, 3)));
        return s;
      }),
    );
    await until(() => coordinator.stats().heldBatches === 3, 5000, 'three held batches');
    await new Promise((r) => setTimeout(r, 200));
    expect((await cluster.queue.getJobCounts('waiting')).waiting).toBe(2);
    expect(coordinator.stats()).toMatchObject({ heldBatches: 3, queueDepth: 2 });
    const metrics = await coordinator.metrics();
    expect(metrics).toMatch(/cohort_backpressure_waits_total 3\b/);
    expect(metrics).toMatch(/cohort_queue_jobs\{queue="batches",state="waiting"\} 2\b/);
    // The oldest waiting job has waited at least the 200 ms above.
    expect(Number(/cohort_queue_lag_seconds\{queue="batches"\} ([\d.]+)/.exec(metrics)?.[1])).toBeGreaterThan(0.15);

    await cluster.addWorker();
    await Promise.all(streams.map((s) => s.ackAtLeast(1)));
    expect(coordinator.stats()).toMatchObject({ heldBatches: 0, queuedBatches: 0 });
    for (const s of streams) s.end();
  });

  it('answers RESOURCE_EXHAUSTED when the queue stays over its bound, so the SDK retries later', async () => {
    await using cluster = await scaledCluster({ coordinators: 1, workers: 0, scaled: { maxQueueDepth: 1, depthPollMs: 25, backpressureTimeoutMs: 300, maxJobBatches: 1 } });
    const coordinator = cluster.coordinators[0]!;
    using client = connect(coordinator.grpcAddress);
    await openRun(client, { project: 'p', runId: 'a' });
    await openRun(client, { project: 'p', runId: 'b' });
    const a = stream(client, { project: 'p', runId: 'a' });
    await a.ackAtLeast(0);
    a.write(batch(rowsRecord(1, 0, 1)));
    await until(async () => (await cluster.queue.getJobCounts('waiting')).waiting === 1, 5000, 'the first job');
    const b = stream(client, { project: 'p', runId: 'b' });
    await b.ackAtLeast(0);
    b.write(batch(rowsRecord(1, 0, 1)));
    const end = await b.ended;
    expect(end.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(end.details).toContain('over its bound of 1');
    a.cancel();
  });
});
