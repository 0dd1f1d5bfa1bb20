import { pino, type Logger } from 'pino';
import { CohortError, resolveLimits, type Limits } from '@cohort/protocol';
import type { Store } from '@cohort/store';
import { parseOptions, queueShardPrefixes, startParts, workerOptionsSchema, type CheckedWorkerOptions, type Part, type StartedParts } from '@cohort/ops';
import { httpPart, queuePart, storePart, totalConcurrency, workerPart, type WorkerContext } from './worker-parts.js';
import { WorkerMetrics } from './worker-metrics.js';

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  /** `redis://host:port` of the queues. */
  redisUrl: string;
  /** `postgres://user:pass@host:port/db` of the store; not needed when `store` is given. */
  postgresUrl?: string;
  /** The PostgreSQL schema of the tables. @defaultValue the connection's search_path */
  postgresSchema?: string;
  /** A store to apply batches to instead of opening one; the worker does not close it. */
  store?: Store;
  /** Batch jobs applied at once (different runs; one run's batches come one at a time). @defaultValue 4 */
  concurrency?: number;
  /** The Redis key prefix of the queues; the coordinators' `scaled.prefix`. @defaultValue `'cohort'` */
  prefix?: string;
  /**
   * Shards of the batch queue; the coordinators' `scaled.queueShards` (a
   * different count is refused at start). The worker takes jobs from every
   * shard, `concurrency` split over them (at least one each). @defaultValue 1
   */
  queueShards?: number;
  /** The process's root logger; the worker logs through children of it. @defaultValue a silent logger */
  logger?: Logger;
  /** Host of the HTTP port (`/metrics`, `/healthz`, `/readyz`). @defaultValue `'127.0.0.1'` */
  httpHost?: string;
  /** Port of `/metrics`, `/healthz` and `/readyz`; 0 picks a free one; absent serves none. @defaultValue none */
  httpPort?: number;
  /** The entity of runs named without one. @defaultValue `'local'` */
  defaultEntity?: string;
  /** Overrides of the record limits the job data is checked against. @defaultValue `DEFAULT_LIMITS` */
  limits?: Partial<Limits>;
  /** The first retry delay of a job that failed for a retryable reason; doubles per attempt, with jitter. @defaultValue 100 */
  retryInitialMs?: number;
  /** The longest retry delay. @defaultValue 5000 */
  retryMaxMs?: number;
  /**
   * How long a job stays locked to this worker without a lock renewal: a
   * worker that died (`kill -9`) has its jobs taken over this long after.
   * @defaultValue 30000
   */
  lockDurationMs?: number;
  /** How long `close()` waits for the jobs in progress before dropping them (they are retried elsewhere). @defaultValue 10000 */
  shutdownTimeoutMs?: number;
  /**
   * How often the worker records its shard count again if Redis lost it, and
   * looks for another count recorded meanwhile (`QueueShardsWatch`). For
   * tests; no flag. @defaultValue `QUEUE_SHARDS_CHECK_MS` (10000)
   * @internal
   */
  queueShardsCheckMs?: number;
}

/** Lifecycle of a worker. */
export type WorkerState = 'running' | 'closing' | 'closed';

/** A snapshot of a worker's work. */
export interface WorkerStats {
  state: WorkerState;
  concurrency: number;
  /** Jobs being applied now. */
  active: number;
  /** Jobs this worker completed. */
  completed: number;
  /** Failed attempts (retried or not). */
  failedAttempts: number;
}

/** A running worker pool of one process. */
export interface CohortWorker {
  /** `http://host:port` of `/metrics`, `/healthz` and `/readyz`, when it serves them. */
  readonly httpUrl: string | undefined;
  /** Jobs it applies at once at most: `concurrency`, or one per shard when `queueShards` is larger. */
  readonly concurrency: number;
  stats(): WorkerStats;
  /** The Prometheus text of its metrics (what `GET /metrics` answers). */
  metrics(): Promise<string>;
  /**
   * Stops taking jobs, lets the jobs in progress finish (dropped after
   * `shutdownTimeoutMs`: their locks lapse and another worker retries them),
   * then closes the connections and a store it opened. Each step runs even
   * if an earlier one failed. Memoized.
   */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
}

/**
 * Checks `options` against the one schema of the server options (the same
 * that `cohort worker` checks its flags with) and fills in the defaults; a
 * broken rule throws an `OptionsError` naming the field and the rule.
 */
export function parseWorkerOptions(options: WorkerOptions): CheckedWorkerOptions & { logger: Logger; limits: Readonly<Limits> } {
  return { ...parseOptions(workerOptionsSchema, options), logger: options.logger ?? pino({ level: 'silent' }), limits: resolveLimits(options.limits) };
}

/**
 * Starts a worker pool: a BullMQ worker on the batch queue that applies each
 * job with the same `Engine` as the embedded mode, over PostgreSQL, up to
 * `concurrency` jobs at once. It touches no process signals; `cohort worker`
 * does that.
 *
 * @example
 * await using worker = await startWorker({ redisUrl: 'redis://127.0.0.1:6379', postgresUrl: 'postgres://cohort@127.0.0.1/cohort', concurrency: 8, httpPort: 7713 });
 * console.log(worker.httpUrl); // http://127.0.0.1:7713
 */
export async function startWorker(options: WorkerOptions): Promise<CohortWorker> {
  const opts = parseWorkerOptions(options);
  const log = opts.logger.child({ component: 'worker' });
  const metrics = new WorkerMetrics();
  let state: WorkerState = 'running';
  const counts = { active: 0, completed: 0, failedAttempts: 0 };

  const ctx: WorkerContext = {
    options,
    opts,
    log,
    metrics,
    checks: [],
    live: () => state === 'running',
    counts,
    shardPrefixes: queueShardPrefixes(opts.redisUrl, opts.prefix, opts.queueShards),
    // Filled in by the parts as they start, in the order of `parts`.
    served: { httpUrl: undefined } as WorkerContext['served'],
  };
  metrics.gauge('cohort_worker_active_jobs', 'Batch jobs this worker is applying now.', () => counts.active);
  // `concurrency`, or one job per shard when there are more shards.
  const concurrency = totalConcurrency(opts.concurrency, opts.queueShards);
  metrics.gauge('cohort_worker_concurrency', 'Batch jobs this worker applies at once at most.', () => concurrency);
  const parts: Part[] = [storePart(ctx), ...(opts.httpPort !== undefined ? [httpPart(ctx, opts.httpPort)] : []), queuePart(ctx), workerPart(ctx)];
  let started: StartedParts;
  try {
    started = await startParts(parts, { what: 'worker', log, shutdownTimeoutMs: opts.shutdownTimeoutMs });
  } catch (err) {
    throw err instanceof CohortError ? err : new CohortError('UNAVAILABLE', `cannot start the worker: ${(err as Error).message}`, { cause: err });
  }
  const httpUrl = ctx.served.httpUrl;
  log.info({ concurrency, prefix: opts.prefix, queueShards: opts.queueShards, redis: redact(opts.redisUrl), ...(httpUrl !== undefined && { httpUrl }) }, 'worker started');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      state = 'closing';
      try {
        await started.stop();
      } finally {
        state = 'closed';
        log.info('worker closed');
      }
    })();
    return closing;
  };

  return {
    httpUrl,
    concurrency,
    stats: () => ({ state, concurrency, ...counts }),
    metrics: () => metrics.registry.metrics(),
    close,
    [Symbol.asyncDispose]: close,
  };
}
