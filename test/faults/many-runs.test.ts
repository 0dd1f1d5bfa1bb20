import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../harness/postgres-service.js';
import { expectRunReadsBack, jobCountOf, logRuns, processCluster, tempDir } from './fault-helpers.js';

describe('load: two coordinators, three workers, 64 runs at once', () => {
  it('reads back every row of 64 runs logged at once, none lost or doubled', { timeout: 60_000 }, async () => {
    await using db = await createTestDatabase(inject('databaseUrl'));
    await using cluster = await processCluster({ redisUrl: inject('redisUrl'), postgresUrl: db.url, coordinators: 2, workers: 3 });
    using dir = tempDir();
    const [a, b] = cluster.coordinators as [(typeof cluster.coordinators)[0], (typeof cluster.coordinators)[0]];

    // 64 SDK clients, each in a thread of its own, half on each coordinator.
    const runs = await logRuns(64, { url: a.grpcAddress, urls: [a.grpcAddress, b.grpcAddress], dir: dir.path, project: 'many-runs', rows: 200, pauseEvery: 20, pauseMs: 20 }).done;

    expect(new Set(runs.map((r) => r.path)).size).toBe(64);
    await Promise.all(runs.map((run, i) => expectRunReadsBack((i % 2 ? a : b).httpUrl, run.path, run.logged, run.summary)));
    // All three workers took part.
    for (const w of cluster.workers) expect(await jobCountOf([w])).toBeGreaterThan(0);
  });
});
