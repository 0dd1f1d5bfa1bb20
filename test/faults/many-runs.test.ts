import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../harness/postgres-service.js';
import { expectRunReadsBack, jobCountOf, logRuns, processCluster, tempDir } from './fault-helpers.js';

/**
 * Twice the workers' 12 job slots (3 × concurrency 4), so jobs queue and every worker takes some, as 64 runs did,
 * without 64 threads each loading the SDK (15 s of CPU; on a loaded machine their OpenRun calls ran out of time).
 * Many more ranks at once are bench/fan-in.mjs's.
 */
const RUNS = 24;

describe(`load: two coordinators, three workers, ${RUNS} runs at once`, () => {
  it(`reads back every row of ${RUNS} runs logged at once, none lost or doubled`, { timeout: 60_000 }, async () => {
    await using db = await createTestDatabase(inject('databaseUrl'));
    await using cluster = await processCluster({ redisUrl: inject('redisUrl'), postgresUrl: db.url, coordinators: 2, workers: 3 });
    using dir = tempDir();
    const [a, b] = cluster.coordinators as [(typeof cluster.coordinators)[0], (typeof cluster.coordinators)[0]];

    // RUNS SDK clients, each in a thread of its own, half on each coordinator.
    const runs = await logRuns(RUNS, { url: a.grpcAddress, urls: [a.grpcAddress, b.grpcAddress], dir: dir.path, project: 'many-runs', rows: 200, pauseEvery: 20, pauseMs: 20 }).done;

    expect(new Set(runs.map((r) => r.path)).size).toBe(RUNS);
    await Promise.all(runs.map((run, i) => expectRunReadsBack((i % 2 ? a : b).httpUrl, run.path, run.logged, run.summary)));
    // All three workers took part.
    for (const w of cluster.workers) expect(await jobCountOf([w])).toBeGreaterThan(0);
  });
});
