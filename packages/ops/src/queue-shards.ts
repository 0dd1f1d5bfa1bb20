import { createHash } from 'node:crypto';
import { CohortError } from '@cohort/protocol';
import type { ProcessMetrics } from './process-metrics.js';
import { parseRedisUrl, queuePrefixFor } from './redis-connection.js';

/**
 * The batch queue split into shards (`queueShards`), so that a Redis
 * Cluster spreads the queue over its masters: every key of one shard sits
 * in one hash slot (BullMQ's scripts need that), and the shards sit in
 * different slots. A run's batches always go to one shard
 * ({@link queueShardOf}), which keeps its seq order. docs/scaling.md, "Hash tags".
 */

/** The most shards of the batch queue (each costs every worker a BullMQ Worker and every coordinator a listener). */
export const MAX_QUEUE_SHARDS = 256;

/** Hash slots of a Redis Cluster. */
export const CLUSTER_SLOTS = 16384;

/** The shard of the batch queue that takes the batches of a run (every writer of it): a hash of entity, project and run id, mod `shards`. */
export function queueShardOf(run: { entity: string; project: string; runId: string }, shards: number): number {
  if (shards === 1) return 0;
  return createHash('sha256').update(JSON.stringify([run.entity, run.project, run.runId])).digest().readUInt32BE(0) % shards;
}

/**
 * The key prefix of each shard of the queues on `url`. Shard 0 is
 * {@link queuePrefixFor}'s prefix, so one shard keeps the keys of a
 * deployment without shards. Elsewhere than a cluster shard i is
 * `<prefix>~i`. On a cluster shard i's hash tag is the base tag with
 * `~i.k` appended, for the first k whose slot lies i/N of the way round
 * the slot ring from shard 0's slot: N shards take N distinct slots spread
 * evenly, so on masters holding even slot ranges (as `redis-cli --cluster
 * create` deals them) they spread over the masters. `~` is not allowed in a
 * prefix, so a shard's keys never meet another deployment's.
 */
export function queueShardPrefixes(url: string, prefix: string, shards: number): string[] {
  const base = queuePrefixFor(url, prefix);
  if (parseRedisUrl(url).kind !== 'cluster') return Array.from({ length: shards }, (_, i) => (i === 0 ? base : `${base}~${i}`));
  const tagged = /\{([^}]+)\}/.exec(base)!;
  const tag = tagged[1]!;
  const first = keySlot(base);
  return Array.from({ length: shards }, (_, i) => {
    if (i === 0) return base;
    const target = (first + Math.round((i * CLUSTER_SLOTS) / shards)) % CLUSTER_SLOTS;
    // About 16,384 tries on average: the CRC of the common start is taken once.
    const start = crc16(`${tag}~${i}.`);
    let k = 0;
    while (crc16Latin1(String(k), start) % CLUSTER_SLOTS !== target) k++;
    return `${base.slice(0, tagged.index)}{${tag}~${i}.${k}}${base.slice(tagged.index + tagged[0].length)}`;
  });
}

/** The label of shard i in metrics: the queue's name, then `-i` past shard 0. */
export function queueShardLabel(queue: string, index: number): string {
  return index === 0 ? queue : `${queue}-${index}`;
}

/** The hash slot of a Redis key (its hash tag's, when it has one): CRC16 mod 16384, the cluster's rule (`CLUSTER KEYSLOT`). */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return crc16(close > open + 1 ? key.slice(open + 1, close) : key) % CLUSTER_SLOTS;
}

const CRC16_TABLE = Uint16Array.from({ length: 256 }, (_, byte) => {
  let crc = byte << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
  return crc & 0xffff;
});

/** CRC16-CCITT (XMODEM) of the UTF-8 bytes of `text`, as Redis Cluster hashes keys. */
function crc16(text: string): number {
  return crc16Latin1(Buffer.from(text, 'utf8').toString('latin1'), 0);
}

/** {@link crc16} of a string of one-byte characters, from `crc`, the CRC of what comes before. */
function crc16Latin1(bytes: string, crc: number): number {
  for (let i = 0; i < bytes.length; i++) crc = ((crc << 8) & 0xff00) ^ CRC16_TABLE[((crc >> 8) ^ bytes.charCodeAt(i)) & 0xff]!;
  return crc;
}

/** What {@link agreeOnQueueShards} runs its script with: a BullMQ queue's Redis client. */
export interface ScriptClient {
  defineCommand(name: string, definition: { numberOfKeys: number; lua: string }): void;
  runCommand(name: string, args: unknown[]): Promise<unknown>;
}

/** Where a {@link QueueShardsWatch} logs a recorded count that differs (error) and agreement again (info); a pino logger fits. */
export interface QueueShardsLog {
  error(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

/** Who checks the shard count, and against what. */
export interface QueueShardsCheck {
  /** The Redis URL (a cluster's prefix is hash-tagged: `queuePrefixFor`). */
  url: string;
  prefix: string;
  /** This process's `queueShards`. */
  shards: number;
  /** `coordinator` or `worker`, in messages. */
  who: string;
  log: QueueShardsLog;
}

/** How often a running worker records its shard count again (a coordinator does it every `lostJobCheckMs`). */
export const QUEUE_SHARDS_CHECK_MS = 10_000;

/** Records the shard count if none is, and answers the recorded one, in one step. */
const RECORD_SHARDS = "redis.call('SET', KEYS[1], ARGV[1], 'NX')\nreturn redis.call('GET', KEYS[1])";

/**
 * Makes coordinators and workers agree on the shard count: the first to
 * start records it in `<shard 0 prefix>:shards`; one that counts otherwise
 * is refused (FAILED_PRECONDITION naming `queueShards`) instead of queueing
 * to, or taking from, shards the others do not. Answers the
 * {@link QueueShardsWatch} that the process then runs on a timer, so that
 * a key Redis lost is recorded again by the running deployment.
 */
export async function agreeOnQueueShards(client: ScriptClient, o: QueueShardsCheck): Promise<QueueShardsWatch> {
  client.defineCommand('cohortRecordShards', { numberOfKeys: 1, lua: RECORD_SHARDS });
  const watch = new QueueShardsWatch(client, o);
  const recorded = await watch.record();
  if (recorded === o.shards) return watch;
  throw new CohortError(
    'FAILED_PRECONDITION',
    `${watch.describe(recorded)}; give every coordinator and worker the same count (to change it: stop the coordinators, let the workers empty the queues, stop them, delete that key)`,
  );
}

/**
 * A running process's check of the shard count. Redis may lose
 * `<prefix>:shards` (a failover before it replicated, `FLUSHALL`, eviction),
 * and the next process to start would record its own count: each
 * {@link check} records this process's count again if the key is gone, and
 * when the key holds another count (recorded while it was gone) logs an
 * error naming both and the key, and {@link differs} turns true (the
 * `cohort_queue_shards_mismatch` gauge) until they agree again.
 */
export class QueueShardsWatch {
  readonly #client: ScriptClient;
  readonly #o: QueueShardsCheck;
  readonly #key: string;
  /** The other count last read, while the recorded count differs from this process's. */
  #other: number | undefined;
  #checking = false;

  /** Use {@link agreeOnQueueShards}, which defines the script first. */
  constructor(client: ScriptClient, o: QueueShardsCheck) {
    this.#client = client;
    this.#o = o;
    this.#key = `${queuePrefixFor(o.url, o.prefix)}:shards`;
  }

  /** True while Redis records another shard count than this process's. */
  get differs(): boolean {
    return this.#other !== undefined;
  }

  /** Records this process's count if the key is gone; answers the recorded count. */
  async record(): Promise<number> {
    return Number(await this.#client.runCommand('cohortRecordShards', [this.#key, String(this.#o.shards)]));
  }

  /** The two counts and the key, for messages. */
  describe(recorded: number): string {
    const { who, shards, prefix } = this.#o;
    return `queueShards (--queue-shards): this ${who} has ${shards} but the deployment on prefix ${JSON.stringify(prefix)} records ${recorded} (Redis key ${this.#key})`;
  }

  /** One check (see the class); an error talking to Redis is ignored until the next (it may be failing over). Never rejects. */
  async check(): Promise<void> {
    if (this.#checking) return;
    this.#checking = true;
    try {
      const recorded = await this.record();
      if (recorded === this.#o.shards) {
        if (this.#other !== undefined) this.#o.log.info({ key: this.#key, queueShards: recorded }, 'the recorded shard count agrees with this process again');
        this.#other = undefined;
      } else if (recorded !== this.#other) {
        this.#other = recorded;
        this.#o.log.error(
          { key: this.#key, queueShards: this.#o.shards, recorded },
          `${this.describe(recorded)}: it was recorded while the key was gone, and jobs on the shards some processes do not count are stranded; give every coordinator and worker the same count`,
        );
      }
    } catch {
      // Redis unreachable or failing over: the next check tries again.
    } finally {
      this.#checking = false;
    }
  }
}

/** Serves `differs` (a {@link QueueShardsWatch}'s) as the gauge `cohort_queue_shards_mismatch`, 1 or 0, in `metrics`. */
export function serveQueueShardsGauge(metrics: ProcessMetrics, differs: () => boolean): void {
  metrics.gauge(
    'cohort_queue_shards_mismatch',
    "1 while the shard count recorded in Redis differs from this process's queueShards (recorded while the key was gone), else 0 (scaled mode).",
    () => (differs() ? 1 : 0),
  );
}
