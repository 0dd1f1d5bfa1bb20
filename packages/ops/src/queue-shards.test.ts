import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { CLUSTER_SLOTS, agreeOnQueueShards, keySlot, queueShardLabel, queueShardOf, queueShardPrefixes, type QueueShardsLog, type ScriptClient } from './queue-shards.js';

const CLUSTER = 'redis+cluster://127.0.0.1:7000';

describe('queue shards', () => {
  it('hashes keys to slots as Redis Cluster does, hash tags included', () => {
    // The check value of CRC16-XMODEM and the examples of the Redis Cluster specification.
    expect(keySlot('123456789')).toBe(12739);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    expect(keySlot('foo{bar}{zap}')).toBe(keySlot('bar'));
    expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar'));
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
  });

  it('keeps the keys of one shard as they were, and names more shards apart from any other prefix', () => {
    expect(queueShardPrefixes('redis://h:6379', 'cohort', 1)).toEqual(['cohort']);
    expect(queueShardPrefixes(CLUSTER, 'cohort', 1)).toEqual(['{cohort}']);
    expect(queueShardPrefixes('redis+sentinel://s:26379/m', 'cohort', 3)).toEqual(['cohort', 'cohort~1', 'cohort~2']);
    const shards = queueShardPrefixes(CLUSTER, 'team-{a}', 3);
    expect(shards[0]).toBe('team-{a}');
    for (const p of shards.slice(1)) expect(p).toMatch(/^team-\{a~\d\.\d+\}$/);
    expect(queueShardLabel('batches', 0)).toBe('batches');
    expect(queueShardLabel('batches', 2)).toBe('batches-2');
  });

  it('puts the shards of a cluster on distinct slots spread evenly round the ring, the same in every process', () => {
    for (const n of [2, 3, 7, 64]) {
      const slots = queueShardPrefixes(CLUSTER, 'cohort', n).map(keySlot);
      expect(new Set(slots).size).toBe(n);
      const first = slots[0]!;
      slots.forEach((slot, i) => expect((slot - first + CLUSTER_SLOTS) % CLUSTER_SLOTS).toBe(Math.round((i * CLUSTER_SLOTS) / n)));
    }
    // A pure function of its inputs: these are what every coordinator and worker compute.
    expect(queueShardPrefixes(CLUSTER, 'cohort', 3)).toEqual(['{cohort}', '{cohort~1.11239}', '{cohort~2.11821}']);
  });

  it('sends every batch of a run to one shard, and spreads runs over all shards', () => {
    const run = { entity: 'e', project: 'p', runId: 'r1' };
    expect(queueShardOf(run, 1)).toBe(0);
    // Stable across processes (a hash of the run, not of anything in memory).
    expect(queueShardOf(run, 3)).toBe(queueShardOf({ ...run }, 3));
    expect([0, 1, 2]).toContain(queueShardOf(run, 3));
    expect(queueShardOf({ ...run, writer: 'rank-1' } as typeof run, 3)).toBe(queueShardOf(run, 3));
    const counts = [0, 0, 0];
    for (let i = 0; i < 300; i++) counts[queueShardOf({ ...run, runId: `run-${i}` }, 3)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(50);
  });

  it('records the first process\'s shard count and refuses another, naming the option', async () => {
    await using r = await scriptRedis();
    const { redis, client, url, prefix, log } = r;
    await agreeOnQueueShards(client, { url, prefix, shards: 3, who: 'coordinator', log });
    await agreeOnQueueShards(client, { url, prefix, shards: 3, who: 'worker', log });
    expect(await redis.get(`${prefix}:shards`)).toBe('3');
    await expect(agreeOnQueueShards(client, { url, prefix, shards: 2, who: 'worker', log })).rejects.toThrow(
      new RegExp(`queueShards \\(--queue-shards\\): this worker has 2 but the deployment on prefix "${prefix}" records 3 \\(Redis key ${prefix}:shards\\)`),
    );
  });

  it('records the count again when Redis lost the key, and logs and flags another count recorded meanwhile', async () => {
    await using r = await scriptRedis();
    const { redis, client, url, prefix, log, lines } = r;
    const key = `${prefix}:shards`;
    const watch = await agreeOnQueueShards(client, { url, prefix, shards: 3, who: 'coordinator', log });
    // Lost (a failover before it replicated, FLUSHALL): the running process records it again.
    await redis.del(key);
    await watch.check();
    expect(await redis.get(key)).toBe('3');
    expect(watch.differs).toBe(false);
    // Another count recorded while the key was gone: not overwritten, logged once, flagged while it lasts.
    await redis.set(key, '1');
    await watch.check();
    await watch.check();
    expect(await redis.get(key)).toBe('1');
    expect(watch.differs).toBe(true);
    expect(lines).toEqual([
      {
        level: 'error',
        fields: { key, queueShards: 3, recorded: 1 },
        message: expect.stringContaining(`this coordinator has 3 but the deployment on prefix "${prefix}" records 1 (Redis key ${key})`),
      },
    ]);
    await redis.del(key);
    await watch.check();
    expect(watch.differs).toBe(false);
    expect(lines[1]).toMatchObject({ level: 'info', fields: { key, queueShards: 3 } });
    // Redis unreachable: the check gives up until the next one, and keeps what it knew.
    redis.disconnect();
    await watch.check();
    expect(watch.differs).toBe(false);
  });
});

/** A Redis client as a {@link ScriptClient}, a prefix of the test's own, and a log that keeps its lines; the key goes on dispose. */
async function scriptRedis() {
  const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
  const client: ScriptClient = {
    defineCommand: (name, definition) => redis.defineCommand(name, definition),
    runCommand: (name, args) => (redis as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name]!(...args),
  };
  const prefix = `t-${randomUUID().slice(0, 8)}`;
  const lines: Array<{ level: string; fields: object; message: string }> = [];
  const log: QueueShardsLog = {
    error: (fields, message) => void lines.push({ level: 'error', fields, message }),
    info: (fields, message) => void lines.push({ level: 'info', fields, message }),
  };
  return {
    redis,
    client,
    url: inject('redisUrl'),
    prefix,
    log,
    lines,
    [Symbol.asyncDispose]: async () => {
      const cleanup = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
      await cleanup.del(`${prefix}:shards`);
      cleanup.disconnect();
      redis.disconnect();
    },
  };
}
