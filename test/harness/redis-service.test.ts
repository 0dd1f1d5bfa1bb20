import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { provideRedis } from './redis-service.js';

describe('provideRedis', () => {
  it('gives the tests a Redis that answers', async () => {
    const redis = new Redis(inject('redisUrl'), { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      const key = `test-${randomUUID()}`;
      await redis.set(key, 'v', 'EX', 10);
      expect(await redis.get(key)).toBe('v');
      await redis.del(key);
    } finally {
      redis.disconnect();
    }
  });

  it('uses REDIS_URL when it is given', async () => {
    const service = await provideRedis({ REDIS_URL: 'redis://example.invalid:1' });
    expect(service).toMatchObject({ url: 'redis://example.invalid:1', source: 'env' });
  });

  it('says how to get a Redis when there is none', async () => {
    await expect(provideRedis({ PATH: '/nonexistent' })).rejects.toThrow(/REDIS_URL|redis-server/);
  });
});
