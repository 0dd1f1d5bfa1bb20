import { createHash } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { Job, Queue, QueueEvents } from 'bullmq';
import type { Logger } from 'pino';
import { agreeOnQueueShards, queueConnection, queueShardLabel, queueShardOf, queueShardPrefixes, type QueueConnection, type QueueShardsWatch, type ScriptClient } from '@cohort/ops';
import {
  BATCH_JOB_NAME,
  BATCH_QUEUE,
  CohortError,
  RETRYABLE_JOB_CODES,
  batchJobResultSchema,
  encodeBatchJobData,
  encodeRecord,
  parseJobFailure,
  type BatchJobData,
  type RecordMessage,
} from '@cohort/protocol';
import type { ApplyBatch, WriterRef } from '../apply-queue.js';

/** Options of {@link BatchProducer.open}. */
export interface BatchProducerOptions {
  /** One server, a Redis Cluster or a Sentinel-named master (`parseRedisUrl`, @cohort/ops). */
  redisUrl: string;
  /** The Redis key prefix of the queues (hash-tagged on a cluster: `queuePrefixFor`). */
  prefix: string;
  /** Shards of the batch queue (`queueShardPrefixes`); a run's batches all go to one (`queueShardOf`). */
  queueShards: number;
  /** Jobs waiting in the batch queue (all shards, all coordinators together) above which new batches wait. */
  maxQueueDepth: number;
  /** How long a batch waits for the queue to fall below its bound before the stream gets RESOURCE_EXHAUSTED. */
  backpressureTimeoutMs: number;
  /** How long to wait for a queued job to finish before the stream gets UNAVAILABLE (the SDK resends). */
  jobTimeoutMs: number;
  /** Attempts of a job whose failures are retryable (the store is down, an earlier batch not applied yet). */
  jobAttempts: number;
  /** How often the queue depth is read from Redis. */
  depthPollMs: number;
  /**
   * How often the jobs this coordinator waits on are looked up: one that is
   * gone (Redis lost it) is settled from the store at once instead of after
   * `jobTimeoutMs`. As often the shard count is recorded again if Redis
   * lost it (`QueueShardsWatch`).
   */
  lostJobCheckMs: number;
  /**
   * How long a batch waits for others (of other runs) to share its job. A
   * job per batch would bound the deployment by the jobs/s BullMQ carries;
   * gathering makes the job count fall as the number of runs rises.
   */
  gatherMs: number;
  /** Most batches in one job (at most `MAX_JOB_BATCHES`); a full job goes at once. */
  maxJobBatches: number;
  /** Most record bytes in one job (4/3 of it in Redis, as base64); a full job goes at once. */
  maxJobBytes: number;
  /** The writer's applied seq in the store: what a coordinator believes when a job's outcome is unknown. */
  appliedSeq(writer: WriterRef): Promise<number>;
  log: Logger;
  /** Called when a batch starts waiting because the queue is over its bound. */
  onBackpressure?: () => void;
}

/** How long completed jobs stay in Redis, so that a resent batch finds its job (then the engine's seq check takes over). */
const KEEP_COMPLETED = { age: 60, count: 1000 } as const;
/** How long permanently failed jobs stay, for inspection. */
const KEEP_FAILED = { age: 24 * 3600, count: 1000 } as const;

/**
 * The BullMQ job id of a batch: a hash of the writer (entity, project, run
 * id, shared-mode label) and the seq range, so a batch resent by the SDK
 * (over this or another coordinator) while its job is queued or recently
 * completed is not queued twice. BullMQ ids may not contain `:`.
 */
export function batchJobId(writer: WriterRef, firstSeq: number, lastSeq: number): string {
  const hash = createHash('sha256').update(JSON.stringify([writer.entity, writer.project, writer.runId, writer.writer])).digest('hex').slice(0, 24);
  return `${hash}-${firstSeq}-${lastSeq}`;
}

/**
 * The BullMQ job id of the batches of a job: {@link batchJobId} for one
 * batch; for several, a hash of every batch's writer and seq range, so the
 * same gathering resent is not queued twice either.
 */
function jobIdOf(batches: readonly Pick<GatheredBatch, 'writer' | 'firstSeq' | 'lastSeq'>[]): string {
  const [only] = batches;
  if (only && batches.length === 1) return batchJobId(only.writer, only.firstSeq, only.lastSeq);
  const parts = batches.map((b) => [b.writer.entity, b.writer.project, b.writer.runId, b.writer.writer, b.firstSeq, b.lastSeq]);
  return `${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 24)}-n${batches.length}`;
}

/** One shard of the batch queue: its queue, its events, the job being gathered for it and the jobs awaited on it. */
interface Shard {
  /** `batches`, `batches-1`, ...: its `queue` label in metrics. */
  readonly label: string;
  readonly queue: Queue;
  readonly events: QueueEvents;
  /** The job being gathered, and its record bytes. */
  gathering: GatheredBatch[];
  gatheringBytes: number;
  gatherTimer: NodeJS.Timeout | undefined;
  /** The jobs being waited on, each with how to end its wait as lost. */
  readonly waits: Map<string, Set<(reason: string) => void>>;
}

/** The job counts of one shard of the batch queue. */
export interface ShardJobCounts {
  /** The shard's `queue` label. */
  queue: string;
  counts: Record<string, number>;
}

/** A batch waiting in the gathering job, with how to settle its apply. */
interface GatheredBatch {
  writer: WriterRef;
  firstSeq: number;
  lastSeq: number;
  records: readonly Uint8Array[];
  bytes: number;
  resolve(result: { appliedSeq: number }): void;
  reject(err: unknown): void;
}

/**
 * The scaled mode's {@link ApplyBatch}: gathers the batches of many runs
 * (for `gatherMs`, up to `maxJobBatches` batches or `maxJobBytes`) into one
 * job of the BullMQ batch queue and resolves each once a worker committed
 * it (QueueEvents), so the coordinator acks only what is in PostgreSQL. The
 * coordinator's per-run queue calls it for one batch of a run at a time,
 * which keeps each run's batches in seq order; the engine's seq and version
 * guards catch the rest (docs/scaled-mode.md).
 *
 * With `queueShards` above 1 the queue is that many BullMQ queues, each
 * under its own prefix (on a Redis Cluster, in its own hash slot): a run's
 * batches all go to the shard of the run, and batches are gathered per
 * shard (docs/scaling.md, "Hash tags").
 *
 * Back-pressure: the depth of the queue (waiting, delayed and prioritized
 * jobs, summed over the shards) is read every `depthPollMs`; with the jobs this coordinator added
 * since, it is an estimate that a batch must find below `maxQueueDepth`
 * before it joins a job. Over it the batch waits (its run's stream stops
 * reading once the run's queue is full, and HTTP/2 flow control holds the
 * SDK, whose WAL keeps the records), and after `backpressureTimeoutMs`
 * fails RESOURCE_EXHAUSTED, which the SDK retries.
 */
export class BatchProducer {
  readonly #o: BatchProducerOptions;
  readonly #shards: readonly Shard[];
  readonly #connections: readonly QueueConnection[];
  #depth = 0;
  #addedSincePoll = 0;
  #waiters: Array<() => void> = [];
  #poller: NodeJS.Timeout | undefined;
  #polling = false;
  #closing: Promise<void> | undefined;
  #lostChecker: NodeJS.Timeout | undefined;
  #checking = false;
  #shardsWatch: QueueShardsWatch | undefined;

  private constructor(options: BatchProducerOptions, shards: readonly Shard[], connections: readonly QueueConnection[]) {
    this.#o = options;
    this.#shards = shards;
    this.#connections = connections;
  }

  /**
   * Connects to Redis (failing fast when it is down), checks that the
   * deployment counts as many shards (`agreeOnQueueShards`), and starts
   * polling the queue depth, looking for lost jobs and checking the shard
   * count again (both every `lostJobCheckMs`).
   */
  static async open(options: BatchProducerOptions): Promise<BatchProducer> {
    // Producers fail fast: a command while Redis is down errors at once instead of queueing in memory.
    const producing = queueConnection(options.redisUrl, 'fail-fast');
    const connections: QueueConnection[] = [producing];
    const shards = queueShardPrefixes(options.redisUrl, options.prefix, options.queueShards).map((prefix, i): Shard => {
      // Each shard's events read a stream with a blocking command: a connection of their own.
      const listening = queueConnection(options.redisUrl, 'blocking');
      connections.push(listening);
      const queue = new Queue(BATCH_QUEUE, { prefix, connection: producing.connection });
      // Each waiting batch listens for its queue's 'closing'; thousands may wait at once.
      queue.setMaxListeners(0);
      queue.on('error', (err) => options.log.warn({ err, shard: i }, 'batch queue connection error'));
      const events = new QueueEvents(BATCH_QUEUE, { prefix, connection: listening.connection });
      events.setMaxListeners(0);
      events.on('error', (err) => options.log.warn({ err, shard: i }, 'queue events connection error'));
      return { label: queueShardLabel(BATCH_QUEUE, i), queue, events, gathering: [], gatheringBytes: 0, gatherTimer: undefined, waits: new Map() };
    });
    const producer = new BatchProducer(options, shards, connections);
    try {
      await Promise.all(shards.flatMap((s) => [s.queue.waitUntilReady(), s.events.waitUntilReady()]));
      const client: ScriptClient = await shards[0]!.queue.getBackend().client;
      producer.#shardsWatch = await agreeOnQueueShards(client, { url: options.redisUrl, prefix: options.prefix, shards: options.queueShards, who: 'coordinator', log: options.log });
      await producer.#poll();
    } catch (err) {
      await producer.close().catch(() => undefined);
      if (err instanceof CohortError) throw err;
      throw new CohortError('UNAVAILABLE', `cannot use Redis at ${redactUrl(options.redisUrl)}: ${(err as Error).message}`, { cause: err });
    }
    producer.#poller = setInterval(() => void producer.#poll(), options.depthPollMs);
    producer.#poller.unref();
    const shardsWatch = producer.#shardsWatch!;
    producer.#lostChecker = setInterval(() => {
      void producer.#checkLost();
      if (!producer.#closing) void shardsWatch.check();
    }, options.lostJobCheckMs);
    producer.#lostChecker.unref();
    return producer;
  }

  /** The {@link ApplyBatch} of the scaled mode. */
  readonly apply: ApplyBatch = async (writer, records, raw) => {
    const first = records[0];
    const last = records[records.length - 1];
    if (!first || !last) throw new CohortError('INVALID_ARGUMENT', 'batch: holds no records');
    await this.#admit();
    if (this.#closing) throw new CohortError('UNAVAILABLE', 'the coordinator is shutting down; reconnect and resend from the last ack');
    const bytes = raw.length === records.length ? raw : records.map((r: RecordMessage) => encodeRecord(r));
    const size = bytes.reduce((n, b) => n + b.byteLength, 0);
    const shard = this.#shards[queueShardOf(writer, this.#shards.length)]!;
    return new Promise((resolve, reject) => this.#gather(shard, { writer, firstSeq: first.seq, lastSeq: last.seq, records: bytes, bytes: size, resolve, reject }));
  };

  /** Adds a batch to the job being gathered on its shard; a full job goes at once, else when `gatherMs` is up. */
  #gather(shard: Shard, batch: GatheredBatch): void {
    if (shard.gathering.length > 0 && shard.gatheringBytes + batch.bytes > this.#o.maxJobBytes) this.#flush(shard);
    shard.gathering.push(batch);
    shard.gatheringBytes += batch.bytes;
    if (shard.gathering.length >= this.#o.maxJobBatches || shard.gatheringBytes >= this.#o.maxJobBytes) this.#flush(shard);
    else if (shard.gatherTimer === undefined) {
      shard.gatherTimer = setTimeout(() => this.#flush(shard), this.#o.gatherMs);
      shard.gatherTimer.unref();
    }
  }

  #flush(shard: Shard): void {
    clearTimeout(shard.gatherTimer);
    shard.gatherTimer = undefined;
    const batches = shard.gathering;
    if (batches.length === 0) return;
    shard.gathering = [];
    shard.gatheringBytes = 0;
    // Counted before the add resolves, so batches admitted meanwhile see it.
    this.#addedSincePoll++;
    void this.#send(shard, batches);
  }

  /** Adds one job for the batches to their shard and settles each batch from the job's outcome. */
  async #send(shard: Shard, batches: GatheredBatch[]): Promise<void> {
    const jobId = jobIdOf(batches);
    let job: Job<BatchJobData>;
    try {
      job = await shard.queue.add(BATCH_JOB_NAME, encodeBatchJobData(batches), {
        jobId,
        attempts: this.#o.jobAttempts,
        backoff: { type: 'cohort' },
        removeOnComplete: KEEP_COMPLETED,
        removeOnFail: KEEP_FAILED,
      });
    } catch (err) {
      this.#addedSincePoll--;
      for (const b of batches) {
        b.reject(new CohortError('UNAVAILABLE', `cannot queue batch ${b.firstSeq}..${b.lastSeq}: Redis unavailable (${(err as Error).message}); resend later`, { cause: err }));
      }
      return;
    }
    let value: unknown;
    let markLost: (reason: string) => void = () => undefined;
    const lost = new Promise<never>((_, reject) => {
      markLost = (reason) => reject(new Error(reason));
    });
    lost.catch(() => undefined);
    // A resend of a job still awaited here has the same job id: both waits are tracked.
    const waits = shard.waits.get(jobId) ?? new Set();
    waits.add(markLost);
    shard.waits.set(jobId, waits);
    try {
      value = await Promise.race([this.#waitUntilFinished(shard, job.id ?? jobId, this.#o.jobTimeoutMs), lost]);
    } catch (err) {
      for (const b of batches) this.#onJobFailed(shard, b.writer, jobId, b.firstSeq, b.lastSeq, err).then(b.resolve, b.reject);
      return;
    } finally {
      waits.delete(markLost);
      if (waits.size === 0 && shard.waits.get(jobId) === waits) shard.waits.delete(jobId);
    }
    const parsed = batchJobResultSchema.safeParse(typeof value === 'string' ? safeJson(value) : value);
    if (!parsed.success || parsed.data.results.length !== batches.length) {
      const err = new CohortError('INTERNAL', `job ${jobId}: a worker answered ${JSON.stringify(value)}, not ${batches.length} batch results`);
      for (const b of batches) b.reject(err);
      return;
    }
    parsed.data.results.forEach((r, i) => {
      const b = batches[i]!;
      if ('code' in r) b.reject(new CohortError(r.code, r.message));
      else b.resolve({ appliedSeq: r.appliedSeq });
    });
  }

  /** The estimated depth of the batch queue (waiting, delayed, prioritized; all shards). */
  get depth(): number {
    return Math.max(0, this.#depth + this.#addedSincePoll);
  }

  /** Batches waiting because the queue is over its bound. */
  get held(): number {
    return this.#waiters.length;
  }

  /** The job counts of each shard of the batch queue, by state. */
  jobCounts(): Promise<ShardJobCounts[]> {
    return Promise.all(
      this.#shards.map(async (s) => ({ queue: s.label, counts: await s.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed') })),
    );
  }

  /** Of each shard, the seconds its oldest waiting job has waited (0 when none waits). */
  lagSeconds(): Promise<Array<{ queue: string; seconds: number }>> {
    return Promise.all(
      this.#shards.map(async (s) => {
        // Jobs are pushed on the left and taken from the right: the oldest is the last one.
        const [oldest] = await s.queue.getWaiting(-1, -1);
        return { queue: s.label, seconds: oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1000) : 0 };
      }),
    );
  }

  /** True while Redis records another shard count than this coordinator's (`cohort_queue_shards_mismatch`). */
  get shardsDiffer(): boolean {
    return this.#shardsWatch?.differs ?? false;
  }

  /** Answers when Redis does, for every shard (readiness). */
  async ping(): Promise<void> {
    await Promise.all(this.#shards.map((s) => s.queue.getJobCounts('waiting')));
  }

  /** Stops polling and closes the connections. Waiting batches fail. Memoized. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#poller);
      clearInterval(this.#lostChecker);
      for (const shard of this.#shards) {
        clearTimeout(shard.gatherTimer);
        for (const b of shard.gathering.splice(0)) b.reject(new CohortError('UNAVAILABLE', 'the coordinator is shutting down; reconnect and resend from the last ack'));
      }
      for (const wake of this.#waiters.splice(0)) wake();
      const results = await Promise.allSettled(this.#shards.flatMap((s) => [s.events.close(), s.queue.close()]));
      // A cluster's clients were handed to BullMQ, which leaves them open: closed once their users are.
      results.push(...(await Promise.allSettled(this.#connections.map((c) => c.close()))));
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed.length > 0) throw new AggregateError(failed.map((f) => f.reason), 'batch producer: close failed');
    })();
    return this.#closing;
  }

  async #admit(): Promise<void> {
    if (this.depth < this.#o.maxQueueDepth) return;
    this.#o.onBackpressure?.();
    const deadline = Date.now() + this.#o.backpressureTimeoutMs;
    while (this.depth >= this.#o.maxQueueDepth) {
      if (this.#closing) throw new CohortError('UNAVAILABLE', 'the coordinator is shutting down; reconnect and resend from the last ack');
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new CohortError(
          'RESOURCE_EXHAUSTED',
          `the batch queue holds about ${this.depth} jobs, over its bound of ${this.#o.maxQueueDepth}, for ${this.#o.backpressureTimeoutMs} ms; retry later`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        timer.unref();
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.#closing) return;
    this.#polling = true;
    const added = this.#addedSincePoll;
    try {
      const counts = await Promise.all(this.#shards.map((s) => s.queue.getJobCounts('waiting', 'delayed', 'prioritized')));
      this.#depth = counts.reduce((n, c) => n + (c['waiting'] ?? 0) + (c['delayed'] ?? 0) + (c['prioritized'] ?? 0), 0);
      this.#addedSincePoll -= added;
    } catch (err) {
      this.#o.log.debug({ err }, 'cannot read the batch queue depth');
    } finally {
      this.#polling = false;
    }
    if (this.#waiters.length > 0 && this.depth < this.#o.maxQueueDepth) {
      // Wake in arrival order; each re-checks the bound after the others' adds.
      const waiters = this.#waiters.splice(0);
      for (const wake of waiters) wake();
    }
  }

  /**
   * BullMQ's `job.waitUntilFinished`, minus its flaw: that one checks the job
   * inside an async Promise executor, so when Redis is down the check's
   * error (`MaxRetriesPerRequestError` on this fail-fast connection) is an
   * unhandled rejection that kills the process. Here a failed check is
   * ignored: the completed/failed event, the lost-job check or the timeout
   * decides. Same messages, so {@link isLostOrLate} reads them alike.
   */
  #waitUntilFinished(shard: Shard, jobId: string, ttl: number): Promise<unknown> {
    // Per-job event names (`completed:<id>`) are not in BullMQ's typed listener map.
    const events = shard.events as unknown as EventEmitter;
    const queue = shard.queue as unknown as EventEmitter;
    return new Promise((resolve, reject) => {
      const completedEvent = `completed:${jobId}`;
      const failedEvent = `failed:${jobId}`;
      const removeListeners = (): void => {
        clearTimeout(timer);
        events.removeListener(completedEvent, onCompleted);
        events.removeListener(failedEvent, onFailed);
        queue.removeListener('closing', onFailed);
      };
      function onCompleted(args: { returnvalue: unknown }): void {
        removeListeners();
        resolve(args.returnvalue);
      }
      function onFailed(args: { failedReason?: string } | string): void {
        removeListeners();
        reject(new Error(typeof args === 'string' ? args : (args.failedReason ?? 'failed')));
      }
      const timer = setTimeout(() => onFailed(`Job wait timed out before finishing, no finish notification arrived after ${ttl}ms (id=${jobId})`), ttl);
      events.on(completedEvent, onCompleted);
      events.on(failedEvent, onFailed);
      queue.on('closing', onFailed);
      // The job may have finished before the listeners were on: look once, after the events listen.
      void (async () => {
        try {
          await shard.events.waitUntilReady();
          const state = await shard.queue.getJobState(jobId);
          if (state !== 'completed' && state !== 'failed') return;
          const done = await Job.fromId(shard.queue, jobId);
          if (!done) return;
          if (state === 'completed') onCompleted({ returnvalue: done.returnvalue });
          else onFailed({ failedReason: done.failedReason });
        } catch {
          // Redis unreachable: the events, the lost-job check or the timeout end the wait.
        }
      })();
    });
  }

  /** Ends the waits of jobs that are no longer in Redis (lost with a Redis restart, or removed). */
  async #checkLost(): Promise<void> {
    if (this.#checking || this.#closing || this.#shards.every((s) => s.waits.size === 0)) return;
    this.#checking = true;
    try {
      for (const shard of this.#shards) {
        for (const [jobId, waits] of [...shard.waits]) {
          if (this.#closing) return;
          const state = await shard.queue.getJobState(jobId).catch(() => undefined);
          if (state === 'unknown') for (const markLost of [...waits]) markLost(`Missing key for job ${jobId}: the job is no longer in Redis`);
        }
      }
    } finally {
      this.#checking = false;
    }
  }

  async #onJobFailed(shard: Shard, writer: WriterRef, jobId: string, firstSeq: number, lastSeq: number, err: unknown): Promise<{ appliedSeq: number }> {
    const reason = err instanceof Error ? err.message : String(err);
    if (this.#closing) throw new CohortError('UNAVAILABLE', 'the coordinator is shutting down; reconnect and resend from the last ack', { cause: err });
    const failure = parseJobFailure(reason);
    if (failure.code !== 'INTERNAL' || !isLostOrLate(reason)) {
      if (!RETRYABLE_JOB_CODES.has(failure.code)) throw new CohortError(failure.code, failure.message, { cause: err });
      // Retries ran out. Remove the failed job so that the SDK's resend is queued afresh.
      await shard.queue.remove(jobId).catch(() => 0);
      throw new CohortError('UNAVAILABLE', `batch ${firstSeq}..${lastSeq} could not be applied yet (${failure.message}); resend from the last ack`, { cause: err });
    }
    // The job is gone (Redis lost it) or late: the store knows whether it was applied.
    const applied = await this.#o.appliedSeq(writer).catch(() => -1);
    if (applied >= lastSeq) return { appliedSeq: applied };
    this.#o.log.warn({ jobId, reason }, 'a batch job was lost or is late; the stream ends so that the SDK resends');
    throw new CohortError('UNAVAILABLE', `batch ${firstSeq}..${lastSeq} was not applied in time (${reason}); resend from the last ack`, { cause: err });
  }
}

/** True for BullMQ's "job missing" and wait-timeout messages. */
function isLostOrLate(reason: string): boolean {
  return /timed out before finishing|Missing key|does not exist|not found/i.test(reason);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A URL with its password hidden, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
}
