import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../harness/postgres-service.js';
import { expectRunReadsBack, logRuns, portOf, processCluster, startTcpProxy, tempDir } from './fault-helpers.js';

describe('fault: kill -9 of a coordinator', () => {
  it('reconnects the SDK to another coordinator behind the same address and loses and doubles no row', { timeout: 60_000 }, async () => {
    await using db = await createTestDatabase(inject('databaseUrl'));
    await using cluster = await processCluster({ redisUrl: inject('redisUrl'), postgresUrl: db.url, coordinators: 2, workers: 2 });
    using dir = tempDir();
    const [a, b] = cluster.coordinators as [(typeof cluster.coordinators)[0], (typeof cluster.coordinators)[0]];
    // One address for the SDK, as a load balancer gives: A while it lives, then B.
    await using proxy = await startTcpProxy(portOf(a.grpcAddress));

    const logging = logRuns(3, { url: proxy.address, dir: dir.path, project: 'coordinator-kill', rows: 1500, pauseEvery: 25, pauseMs: 15 });
    await logging.started;
    await new Promise((r) => setTimeout(r, 400));
    proxy.setTarget(portOf(b.grpcAddress));
    const before = proxy.connections();
    await a.kill9();
    const runs = await logging.done;

    // The SDK dialled again (to B) after A died.
    expect(proxy.connections()).toBeGreaterThan(before);

    for (const run of runs) await expectRunReadsBack(b.httpUrl, run.path, run.logged, run.summary);
  });
});
