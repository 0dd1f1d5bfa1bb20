import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../harness/postgres-service.js';
import { completedJobs, jobCountOf, expectRunReadsBack, logRuns, processCluster, startTcpProxy, tempDir, until } from './fault-helpers.js';

describe('fault: PostgreSQL briefly unreachable', () => {
  it('retries the batches while PostgreSQL is cut off and loses and doubles no row', { timeout: 60_000 }, async () => {
    await using db = await createTestDatabase(inject('databaseUrl'));
    const direct = new URL(db.url);
    // Coordinators and workers reach PostgreSQL only through this proxy, which the test cuts.
    await using proxy = await startTcpProxy(Number(direct.port), direct.hostname);
    const viaProxy = new URL(db.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    await using cluster = await processCluster({ redisUrl: inject('redisUrl'), postgresUrl: viaProxy.href, coordinators: 1, workers: 2 });
    using dir = tempDir();
    const coordinator = cluster.coordinators[0]!;

    const logging = logRuns(3, { url: coordinator.grpcAddress, dir: dir.path, project: 'postgres-outage', rows: 1500, pauseEvery: 25, pauseMs: 25 });
    await logging.started;
    await until(async () => (await completedJobs(cluster.workers[0]!)) + (await completedJobs(cluster.workers[1]!)) >= 10, 20_000, 'batches applied');
    const before = (await completedJobs(cluster.workers[0]!)) + (await completedJobs(cluster.workers[1]!));
    proxy.cut();
    await new Promise((r) => setTimeout(r, 3000));
    // Nothing commits while it is cut off.
    const during = (await completedJobs(cluster.workers[0]!)) + (await completedJobs(cluster.workers[1]!));
    expect(during - before).toBeLessThanOrEqual(8);
    proxy.restore();
    const runs = await logging.done;

    // The workers did meet the outage (failed attempts, retried), and recovered.
    expect(await jobCountOf(cluster.workers, 'retry')).toBeGreaterThan(0);
    for (const run of runs) await expectRunReadsBack(coordinator.httpUrl, run.path, run.logged, run.summary);
    const ready = await fetch(`${coordinator.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
  });
});
