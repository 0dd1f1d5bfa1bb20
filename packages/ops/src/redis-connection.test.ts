import { describe, expect, it } from 'vitest';
import { parseRedisUrl, queueConnection, queuePrefixFor, redactRedisUrl } from './redis-connection.js';

describe('Redis URLs', () => {
  it('reads one server, a cluster and a sentinel URL', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379/2')).toEqual({ kind: 'single', url: 'redis://127.0.0.1:6379/2' });
    expect(parseRedisUrl('rediss+cluster://bob:s%40cret@10.0.0.1:7000,10.0.0.2,[::1]:7002')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 6379 },
        { host: '::1', port: 7002 },
      ],
      auth: { username: 'bob', password: 's@cret' },
      tls: true,
    });
    expect(parseRedisUrl('redis+sentinel://:pw@s1:26379,s2/mymaster/3?sentinelPassword=sp')).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      name: 'mymaster',
      db: 3,
      auth: { password: 'pw' },
      sentinelPassword: 'sp',
      tls: false,
    });
  });

  it('names what is wrong, with the password hidden', () => {
    expect(() => parseRedisUrl('http://x')).toThrow(/Expected a redis:\/\/ URL, redis\+cluster:\/\/host:port/);
    expect(() => parseRedisUrl('redis+cluster://a:1,b:99999')).toThrow(/host:port for node 2/);
    expect(() => parseRedisUrl('redis+cluster://a:1/0')).toThrow(/no path in a redis\+cluster/);
    expect(() => parseRedisUrl('redis+sentinel://u:secret@s1:26379')).toThrow(/mastername/);
    expect(() => parseRedisUrl('redis+sentinel://u:secret@s1:26379')).not.toThrow(/secret/);
    expect(redactRedisUrl('redis+cluster://u:secret@a:1,b:2')).toBe('redis+cluster://u:***@a:1,b:2');
  });

  it('hash-tags the queue prefix on a cluster only, and keeps a tag already there', () => {
    expect(queuePrefixFor('redis://h:6379', 'cohort')).toBe('cohort');
    expect(queuePrefixFor('redis+sentinel://s:26379/m', 'cohort')).toBe('cohort');
    expect(queuePrefixFor('redis+cluster://h:7000', 'cohort')).toBe('{cohort}');
    expect(queuePrefixFor('redis+cluster://h:7000', 'team-{a}')).toBe('team-{a}');
  });

  it('gives BullMQ options for one server and a sentinel, failing fast or blocking', async () => {
    expect(queueConnection('redis://h:1', 'fail-fast').connection).toEqual({ url: 'redis://h:1', maxRetriesPerRequest: 1, enableOfflineQueue: false });
    expect(queueConnection('redis://h:1', 'blocking').connection).toEqual({ url: 'redis://h:1', maxRetriesPerRequest: null });
    expect(queueConnection('redis+sentinel://:pw@s1:5000/m', 'blocking').connection).toEqual({ maxRetriesPerRequest: null, sentinels: [{ host: 's1', port: 5000 }], name: 'm', db: 0, password: 'pw' });
    await queueConnection('redis://h:1', 'blocking').close();
  });
});
