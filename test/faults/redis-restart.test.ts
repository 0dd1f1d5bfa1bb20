import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../harness/postgres-service.js';
import { startPrivateRedis } from '../harness/redis-service.js';
import { which } from '../harness/which.js';
import { completedJobs, expectRunReadsBack, logRuns, portOf, processCluster, tempDir, until } from './fault-helpers.js';

const redisServer = which('redis-server');

describe('fault: Redis restarted with its data lost', () => {
  it.skipIf(redisServer === undefined)('refills the lost queue from the SDK\'s WAL and loses and doubles no row', { timeout: 60_000 }, async () => {
    await using db = await createTestDatabase(inject('databaseUrl'));
    // A Redis of this test's own (no persistence), to kill and start again empty on the same port.
    let redis = await startPrivateRedis(redisServer!);
    const port = portOf(redis.url);
    try {
      await using cluster = await processCluster({ redisUrl: redis.url, postgresUrl: db.url, coordinators: 1, workers: 2, lostJobCheckMs: 200 });
      using dir = tempDir();
      const coordinator = cluster.coordinators[0]!;

      const logging = logRuns(3, { url: coordinator.grpcAddress, dir: dir.path, project: 'redis-restart', rows: 1500, pauseEvery: 25, pauseMs: 20 });
      await logging.started;
      await until(async () => (await completedJobs(cluster.workers[0]!)) + (await completedJobs(cluster.workers[1]!)) >= 10, 20_000, 'batches applied');
      await redis.stop();
      await new Promise((r) => setTimeout(r, 1000));
      redis = await startPrivateRedis(redisServer!, port);
      const runs = await logging.done;

      for (const run of runs) await expectRunReadsBack(coordinator.httpUrl, run.path, run.logged, run.summary);
      // The fresh Redis carried the rest: the workers applied batches after the restart too.
      expect(await completedJobs(cluster.workers[0]!)).toBeGreaterThan(0);
    } finally {
      await redis.stop();
    }
  });
});
