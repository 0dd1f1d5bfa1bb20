import { Cluster } from 'ioredis';

/**
 * The Redis behind the queues, from one URL:
 *
 * - `redis://[user:password@]host:port[/db]` (`rediss://` for TLS): one server;
 * - `redis+cluster://[user:password@]host:port,host:port,...` (`rediss+cluster://`): a Redis Cluster,
 *   from any of its nodes (the client learns the rest);
 * - `redis+sentinel://[user:password@]host:port,host:port,.../mastername[/db]` (`rediss+sentinel://`):
 *   the master that Redis Sentinel names, followed across failovers. `?sentinelPassword=...` when the
 *   sentinels want one.
 */
export type RedisTarget =
  | { readonly kind: 'single'; readonly url: string }
  | { readonly kind: 'cluster'; readonly nodes: ReadonlyArray<{ host: string; port: number }>; readonly auth: RedisAuth; readonly tls: boolean }
  | { readonly kind: 'sentinel'; readonly sentinels: ReadonlyArray<{ host: string; port: number }>; readonly name: string; readonly db: number; readonly auth: RedisAuth; readonly sentinelPassword?: string; readonly tls: boolean };

interface RedisAuth {
  readonly username?: string;
  readonly password?: string;
}

/** The URL forms {@link parseRedisUrl} takes, for error messages and option rules. */
export const REDIS_URL_FORMS = 'a redis:// URL, redis+cluster://host:port,host:port,... or redis+sentinel://host:port,.../mastername';

/** A Redis URL of any of the forms of {@link RedisTarget} (the option rule). */
export const REDIS_URL_PATTERN = /^rediss?(\+cluster|\+sentinel)?:\/\/\S+$/;

/** Reads a Redis URL; a malformed one throws a TypeError that says which part is wrong. */
export function parseRedisUrl(url: string): RedisTarget {
  const m = /^(rediss?)(\+cluster|\+sentinel)?:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#]+)(\/[^?#]*)?(?:\?([^#]*))?$/.exec(url);
  if (!m) throw new TypeError(`Expected ${REDIS_URL_FORMS}, got ${JSON.stringify(redactRedisUrl(url))}`);
  const [, scheme, variant, user, pass, hostList, path = '', query = ''] = m;
  if (variant === undefined) return { kind: 'single', url };
  const tls = scheme === 'rediss';
  const decode = (s: string | undefined) => (s === undefined || s === '' ? undefined : decodeURIComponent(s));
  const username = decode(user);
  const password = decode(pass);
  const auth: RedisAuth = { ...(username !== undefined && { username }), ...(password !== undefined && { password }) };
  const hosts = hostList!.split(',').map((h, i) => {
    const hp = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(h);
    const port = Number(hp?.[2] ?? (variant === '+sentinel' ? 26379 : 6379));
    if (!hp || port < 1 || port > 65535) throw new TypeError(`Expected host:port for node ${i + 1} of ${JSON.stringify(redactRedisUrl(url))}, got ${JSON.stringify(h)}`);
    return { host: hp[1]!.replace(/^\[|\]$/g, ''), port };
  });
  const segments = path.split('/').filter((s) => s !== '');
  if (variant === '+cluster') {
    if (segments.length > 0) throw new TypeError(`Expected no path in a redis+cluster:// URL (a cluster has only database 0), got ${JSON.stringify(path)}`);
    return { kind: 'cluster', nodes: hosts, auth, tls };
  }
  const [name, dbText = '0', ...rest] = segments;
  if (name === undefined || rest.length > 0 || !/^\d{1,2}$/.test(dbText)) {
    throw new TypeError(`Expected redis+sentinel://host:port[,host:port...]/mastername[/db], got ${JSON.stringify(redactRedisUrl(url))}`);
  }
  const sentinelPassword = new URLSearchParams(query).get('sentinelPassword') ?? undefined;
  return { kind: 'sentinel', sentinels: hosts, name: decodeURIComponent(name), db: Number(dbText), auth, ...(sentinelPassword !== undefined && { sentinelPassword }), tls };
}

/** A URL with its password hidden, for logs. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/**
 * The key prefix of the queues on `url`: on a Redis Cluster, every key of
 * one BullMQ queue must live in one hash slot, so the prefix must carry a
 * hash tag; a prefix without one is wrapped in braces (`cohort` →
 * `{cohort}`). Elsewhere the prefix is used as given. Coordinators and
 * workers both call it, so they agree on the keys.
 */
export function queuePrefixFor(url: string, prefix: string): string {
  if (parseRedisUrl(url).kind !== 'cluster' || /\{[^}]+\}/.test(prefix)) return prefix;
  return `{${prefix}}`;
}

/** How a connection behaves while Redis is away. */
export type RedisRole =
  /** Queue producers and probes: a command fails at once instead of waiting in memory. */
  | 'fail-fast'
  /** Workers and event listeners (blocking commands): wait for Redis as long as it takes. */
  | 'blocking';

/** The options BullMQ connects one server or a Sentinel-named master with (ioredis options). */
export interface QueueRedisOptions {
  url?: string;
  maxRetriesPerRequest?: number | null;
  enableOfflineQueue?: boolean;
  sentinels?: Array<{ host: string; port: number }>;
  name?: string;
  db?: number;
  username?: string;
  password?: string;
  sentinelPassword?: string;
  tls?: object;
  sentinelTLS?: object;
  enableTLSForSentinelMode?: boolean;
}

/** A BullMQ `connection` option, and how to release what it holds. */
export interface QueueConnection {
  /** Options for one server or Sentinel (BullMQ connects and closes), or a Cluster client. */
  readonly connection: QueueRedisOptions | Cluster;
  /** Closes the Cluster client (BullMQ leaves a client it was handed open); nothing for the other kinds. Idempotent. */
  close(): Promise<void>;
}

/**
 * The connection of one BullMQ Queue, Worker or QueueEvents to the Redis of
 * `url`: one server, a Redis Cluster, or the master Redis Sentinel names.
 * Close the queue first, then this.
 */
export function queueConnection(url: string, role: RedisRole): QueueConnection {
  const target = parseRedisUrl(url);
  const behaviour: QueueRedisOptions = role === 'blocking' ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: 1, enableOfflineQueue: false };
  switch (target.kind) {
    case 'single':
      return { connection: { ...behaviour, url }, close: async () => {} };
    case 'sentinel':
      return {
        connection: {
          ...behaviour,
          sentinels: target.sentinels.map((s) => ({ ...s })),
          name: target.name,
          db: target.db,
          ...target.auth,
          ...(target.sentinelPassword !== undefined && { sentinelPassword: target.sentinelPassword }),
          ...(target.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
        },
        close: async () => {},
      };
    case 'cluster': {
      const cluster = new Cluster(
        target.nodes.map((n) => ({ ...n })),
        {
          // Offline queueing is a cluster-level option; the per-node options carry the rest.
          enableOfflineQueue: role === 'blocking',
          redisOptions: { maxRetriesPerRequest: behaviour.maxRetriesPerRequest ?? null, ...target.auth, ...(target.tls && { tls: {} }) },
          // A failover moves slots: follow MOVED/ASK and refresh the map, retrying a while before giving up.
          retryDelayOnFailover: 200,
          retryDelayOnClusterDown: 300,
          slotsRefreshTimeout: 2000,
        },
      );
      let closing: Promise<void> | undefined;
      return {
        connection: cluster,
        close: () =>
          (closing ??= cluster.quit().then(
            () => undefined,
            () => cluster.disconnect(),
          )),
      };
    }
  }
}
