import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { keySlot, queueShardOf, queueShardPrefixes } from '@cohort/ops';
import { Api, init } from '@cohort/sdk';
import { startWorker, type CohortWorker } from '@cohort/worker';
import { createTestDatabase, type TestDatabase } from '../harness/postgres-service.js';
import { startRedisCluster, type RedisCluster } from '../harness/redis-cluster-service.js';
import { startRedisSentinel } from '../harness/redis-sentinel-service.js';

/**
 * The queue on a real Redis Cluster (redis-server --cluster-enabled on
 * loopback ports, joined with redis-cli --cluster create) and behind a real
 * Redis Sentinel: the fan-in path end to end, SDK → coordinator → BullMQ →
 * worker → PostgreSQL, and a master killed in the middle of it; the queue
 * in shards spread over the cluster's masters.
 */
describe('the queue on Redis Cluster and Sentinel', () => {
  let cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    cleanup = [];
    delete process.env['COHORT_URL'];
  });

  /** A cluster, a database, one coordinator and one worker on them; the prefix is hash-tagged by the servers. */
  async function deployment(redis: { url: string }, queueShards = 1): Promise<{ coordinator: Coordinator; worker: CohortWorker; db: TestDatabase; prefix: string; runsDir: string }> {
    const db = await createTestDatabase(inject('databaseUrl'));
    cleanup.push(() => db.drop());
    const prefix = `t-${randomUUID().slice(0, 8)}`;
    const runsDir = await mkdtemp(join(tmpdir(), 'cohort-cluster-runs-'));
    cleanup.push(() => rm(runsDir, { recursive: true, force: true }));
    const worker = await startWorker({ redisUrl: redis.url, postgresUrl: db.url, prefix, queueShards, concurrency: 4, lockDurationMs: 5000, shutdownTimeoutMs: 2000 });
    cleanup.push(() => worker.close());
    const coordinator = await startCoordinator({
      grpcPort: 0,
      httpPort: 0,
      shutdownTimeoutMs: 1000,
      scaled: { redisUrl: redis.url, postgresUrl: db.url, prefix, queueShards, depthPollMs: 50, lostJobCheckMs: 500, jobTimeoutMs: 20_000 },
    });
    cleanup.push(() => coordinator.close());
    process.env['COHORT_URL'] = coordinator.httpUrl;
    return { coordinator, worker, db, prefix, runsDir };
  }

  describe('on one three-master cluster', () => {
    let cluster: RedisCluster;
    beforeAll(async () => {
      cluster = await startRedisCluster({ masters: 3 });
    });
    afterAll(() => cluster?.stop());

    it('carries a run from the SDK to PostgreSQL through BullMQ on a three-master cluster, its keys in one hash slot', async () => {
      const { coordinator, prefix, runsDir } = await deployment(cluster);
      const run = await init({ project: 'cluster', dir: runsDir, settings: { silent: true, systemMetricsSeconds: 0 } });
      for (let step = 0; step < 300; step++) run.log({ loss: 1 / (step + 1), step });
      await run.finish();
      const rows = await (await new Api({ baseUrl: coordinator.httpUrl }).run(`cluster/${run.id}`)).history({ keys: ['loss'] });
      expect(rows.map((r) => r['_step'])).toEqual(Array.from({ length: 300 }, (_, i) => i));
      expect(rows.every((r) => r['loss'] === 1 / (r['_step'] as number + 1))).toBe(true);
      // Every key of the queue lives where `{prefix}` hashes: one slot, so BullMQ's scripts run on one node.
      const master = await cluster.masterOf(`{${prefix}}`);
      const keys = (await cluster.cli(master, '--scan', '--pattern', `{${prefix}}:*`)).trim().split('\n').filter((k) => k !== '');
      expect(keys.some((k) => k.startsWith(`{${prefix}}:batches:`))).toBe(true);
      const slots = new Set(await Promise.all(keys.map(async (k) => (await cluster.cli(master, 'cluster', 'keyslot', k)).trim())));
      expect(slots.size).toBe(1);
    }, 120_000);

    it('spreads a queue of three shards over the masters, every step of every run stored once and in order, and refuses another shard count', async () => {
      const { coordinator, worker, db, prefix, runsDir } = await deployment(cluster, 3);
      const shards = queueShardPrefixes(cluster.url, prefix, 3);
      // Runs chosen two to a shard, so that every shard carries batches.
      const settings = { silent: true, systemMetricsSeconds: 0 };
      const first = await init({ project: 'shards', id: 'run-0', reinit: 'create_new', dir: runsDir, settings });
      const ids = Array.from({ length: 200 }, (_, i) => `run-${i}`);
      const chosen = [0, 1, 2].flatMap((shard) => ids.filter((id) => queueShardOf({ entity: first.entity, project: 'shards', runId: id }, 3) === shard && id !== 'run-0').slice(0, 2));
      const runs = [first, ...(await Promise.all(chosen.map((id) => init({ project: 'shards', id, reinit: 'create_new', dir: runsDir, settings }))))];
      const steps = 150;
      for (let step = 0; step < steps; step++) for (const [r, run] of runs.entries()) run.log({ value: r * 100_000 + step, step });
      await Promise.all(runs.map((run) => run.finish()));
      const api = new Api({ baseUrl: coordinator.httpUrl });
      for (const [r, run] of runs.entries()) {
        const rows = await (await api.run(`shards/${run.id}`)).history({ keys: ['value'] });
        expect(rows.map((row) => row['_step'])).toEqual(Array.from({ length: steps }, (_, i) => i));
        expect(rows.map((row) => row['value'])).toEqual(Array.from({ length: steps }, (_, i) => r * 100_000 + i));
      }
      // Each shard's keys in one slot, the one our CRC16 computes and the cluster names; the shards on distinct slots and on more than one master.
      const masters = new Set<number>();
      const slots = new Set<number>();
      for (const shard of shards) {
        const slot = keySlot(shard);
        expect(Number((await cluster.cli(cluster.nodes[0]!.port, 'cluster', 'keyslot', shard)).trim())).toBe(slot);
        const master = await cluster.masterOf(shard);
        const keys = (await cluster.cli(master, '--scan', '--pattern', `${shard}:*`)).trim().split('\n').filter((k) => k !== '');
        expect(keys.some((k) => k.startsWith(`${shard}:batches:`))).toBe(true);
        for (const k of keys) expect(keySlot(k)).toBe(slot);
        // Housekeeping stays on the base prefix.
        expect(keys.some((k) => k.includes(':housekeeping:'))).toBe(shard === shards[0]);
        masters.add(master);
        slots.add(slot);
      }
      expect(slots.size).toBe(3);
      expect(masters.size).toBeGreaterThan(1);
      // A depth series per shard, on the coordinator and the worker.
      const served = [await (await fetch(`${coordinator.httpUrl}/metrics`)).text(), await worker.metrics()];
      for (const text of served) for (const queue of ['batches', 'batches-1', 'batches-2']) expect(text).toContain(`cohort_queue_jobs{queue="${queue}",state="completed"}`);
      // A worker or a coordinator counting otherwise is refused before it touches a job.
      await expect(startWorker({ redisUrl: cluster.url, postgresUrl: db.url, prefix, queueShards: 2 })).rejects.toThrow(
        `queueShards (--queue-shards): this worker has 2 but the deployment on prefix "${prefix}" records 3`,
      );
      await expect(startCoordinator({ grpcPort: 0, httpPort: 0, scaled: { redisUrl: cluster.url, postgresUrl: db.url, prefix } })).rejects.toThrow(
        `queueShards (--queue-shards): this coordinator has 1 but the deployment on prefix "${prefix}" records 3`,
      );
    }, 120_000);
  });

  /** Four ranks log 240 steps each; `kill` runs at step 80. Then every step must be stored once, with its value. */
  async function fanInThroughAKill(coordinator: Coordinator, runsDir: string, project: string, kill: () => Promise<void>): Promise<void> {
    const runs = await Promise.all(
      Array.from({ length: 4 }, (_, r) => init({ project, id: `rank-${r}`, reinit: 'create_new', dir: runsDir, settings: { silent: true, systemMetricsSeconds: 0 } })),
    );
    const steps = 240;
    for (let step = 0; step < steps; step++) {
      for (const [r, run] of runs.entries()) run.log({ value: r * 100_000 + step, step });
      if (step === 80) await kill();
      // About 50 steps a second per rank, so the kill lands in the middle of the streams.
      if (step % 8 === 0) await new Promise((r) => setTimeout(r, 150));
    }
    await Promise.all(runs.map((run) => run.finish()));
    const api = new Api({ baseUrl: coordinator.httpUrl });
    for (const [r, run] of runs.entries()) {
      const rows = await (await api.run(`${project}/${run.id}`)).history({ keys: ['value'] });
      // Every step once, in order, with its own value: nothing lost, nothing doubled.
      expect(rows.map((row) => row['_step'])).toEqual(Array.from({ length: steps }, (_, i) => i));
      expect(rows.map((row) => row['value'])).toEqual(Array.from({ length: steps }, (_, i) => r * 100_000 + i));
    }
  }

  it('loses and doubles nothing when the master of the queue is killed during fan-in', async () => {
    const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    cleanup.push(() => cluster.stop());
    const { coordinator, prefix, runsDir } = await deployment(cluster);
    const master = await cluster.masterOf(`{${prefix}}`);
    await fanInThroughAKill(coordinator, runsDir, 'failover', async () => cluster.nodes.find((n) => n.port === master)!.kill());
    await cluster.waitHealthy();
    // A replica took the slot over.
    expect(await cluster.masterOf(`{${prefix}}`)).not.toBe(master);
  }, 240_000);

  it('follows the master Redis Sentinel names, through a failover during fan-in', async () => {
    const sentinel = await startRedisSentinel();
    cleanup.push(() => sentinel.stop());
    const { coordinator, runsDir } = await deployment(sentinel);
    let killed = 0;
    await fanInThroughAKill(coordinator, runsDir, 'sentinel', async () => {
      killed = await sentinel.killMaster();
    });
    expect(await sentinel.masterPort()).not.toBe(killed);
  }, 240_000);
});
