import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../harness/postgres-service.js';
import { activeJobs, completedJobs, expectRunReadsBack, logRuns, processCluster, tempDir, until } from './fault-helpers.js';

describe('fault: kill -9 of a worker', () => {
  it('loses and doubles no row when a worker dies in the middle of applying batches', { timeout: 60_000 }, async () => {
    await using db = await createTestDatabase(inject('databaseUrl'));
    await using cluster = await processCluster({ redisUrl: inject('redisUrl'), postgresUrl: db.url, coordinators: 1, workers: 2, lockDurationMs: 1000 });
    using dir = tempDir();
    const [victim, survivor] = cluster.workers as [(typeof cluster.workers)[0], (typeof cluster.workers)[0]];
    const coordinator = cluster.coordinators[0]!;

    const logging = logRuns(6, { url: coordinator.grpcAddress, dir: dir.path, project: 'worker-kill', rows: 1500, pauseEvery: 25, pauseMs: 10 });
    // Kill it while it works: once it has completed some jobs (each carries the batches of several runs), with the runs still logging.
    await until(async () => (await completedJobs(victim)) >= 3, 20_000, 'the victim worker to apply batches');
    // Best effort to catch it with a job in hand (an apply takes milliseconds); kill it anyway after 5 s.
    await until(async () => (await activeJobs(victim)) > 0, 5000, 'an active job').catch(() => undefined);
    await victim.kill9();
    const runs = await logging.done;

    expect(await completedJobs(survivor)).toBeGreaterThan(0);
    for (const run of runs) await expectRunReadsBack(coordinator.httpUrl, run.path, run.logged, run.summary);
  });
});
