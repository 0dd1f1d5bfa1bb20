import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { HOUSEKEEPING_QUEUE } from '@cohort/protocol';
import { startCoordinator } from '../src/index.js';
import { connect, openRun } from './helpers.js';
import { scaledCluster, until } from './scaled-helpers.js';

describe('the heartbeat sweeper', () => {
  it('runs once per interval across two scaled coordinators, and marks a silent run crashed', async () => {
    const intervalMs = 250;
    await using cluster = await scaledCluster({ coordinators: 2, coordinator: { sweepIntervalMs: intervalMs, heartbeatTimeoutSeconds: 1, groupCheckIntervalMs: 0, compactionIntervalMs: 0, blobGcIntervalMs: 0 } });
    const [a, b] = cluster.coordinators as [(typeof cluster.coordinators)[0], (typeof cluster.coordinators)[0]];
    using client = connect(a.grpcAddress);
    const started = Date.now();
    await openRun(client, { project: 'p', runId: 'silent' });
    await until(async () => (await b.engine.getRun({ entity: 'local', project: 'p', runId: 'silent' }))?.state === 'crashed', 5000, 'the run to be crashed');
    await new Promise((r) => setTimeout(r, 4 * intervalMs));
    const elapsed = Date.now() - started;
    const sweeps = a.stats().sweeps + b.stats().sweeps;
    // Once per interval across both (each coordinator sweeping on its own would be twice that).
    expect(sweeps).toBeGreaterThanOrEqual(3);
    expect(sweeps).toBeLessThanOrEqual(Math.ceil(elapsed / intervalMs) + 2);
    await using housekeeping = Object.assign(new Queue(HOUSEKEEPING_QUEUE, { prefix: cluster.prefix, connection: { url: cluster.redisUrl, maxRetriesPerRequest: 1 } }), {
      [Symbol.asyncDispose](this: Queue) {
        return this.close();
      },
    });
    expect(await housekeeping.getJobSchedulersCount()).toBe(1);
    const expired = (text: string) => Number(/cohort_runs_expired_total\{state="crashed"\} (\d+)/.exec(text)?.[1] ?? 0);
    expect(expired(await a.metrics()) + expired(await b.metrics())).toBe(1);
  });

  it('runs on a timer in embedded mode', async () => {
    await using coordinator = await startCoordinator({ grpcPort: 0, httpPort: 0, sweepIntervalMs: 50, heartbeatTimeoutSeconds: 1 });
    using client = connect(coordinator.grpcAddress);
    await openRun(client, { project: 'p', runId: 'silent' });
    await until(async () => (await coordinator.engine.getRun({ entity: 'local', project: 'p', runId: 'silent' }))?.state === 'crashed', 5000, 'the run to be crashed');
    expect(coordinator.stats().sweeps).toBeGreaterThan(0);
  });
});
