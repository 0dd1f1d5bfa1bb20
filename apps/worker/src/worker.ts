import { createServer } from 'node:http';
import { Queue, Worker } from 'bullmq';
import { pino, type Logger } from 'pino';
import { Engine } from '@cohort/engine';
import { BATCH_QUEUE, CohortError, resolveLimits, type Limits } from '@cohort/protocol';
import { PostgresStore, openPostgresStore, type Store } from '@cohort/store';
import {
  createOpsRoutes,
  formatHostPort,
  httpServerPart,
  NOTHING_TO_STOP,
  parseOptions,
  queueConnection,
  queuePrefixFor,
  startParts,
  workerOptionsSchema,
  type CheckedWorkerOptions,
  type Deadline,
  type Part,
  type ReadinessCheck,
  type StartedParts,
} from '@cohort/ops';
import { createBatchProcessor } from './batch-processor.js';
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
  let completed = 0;
  let failedAttempts = 0;
  let active = 0;
  let httpUrl: string | undefined;
  const checks: ReadinessCheck[] = [];
  // Set by the parts as they start, in the order of `parts`.
  let engine!: Engine;

  const storeP: Part = {
    name: 'store',
    start: async () => {
      const store =
        options.store ??
        (await openPostgresStore(opts.postgresUrl!, {
          // One connection per job in progress, and a spare for readiness probes.
          max: opts.concurrency + 2,
          ...(opts.postgresSchema !== undefined && { schema: opts.postgresSchema }),
        }));
      // The worker applies the batches, so the per-run bounds are its own to enforce (docs/SECURITY.md, "Limits").
      const opened = new Engine(store, { defaultEntity: opts.defaultEntity, maxKeysPerRun: opts.limits.maxKeysPerRun, maxSummaryBytes: opts.limits.maxSummaryBytes });
      engine = opened;
      if (store instanceof PostgresStore) checks.push({ name: 'postgres', check: () => store.pool.query('SELECT 1') });
      return options.store === undefined ? { stop: () => opened.close() } : NOTHING_TO_STOP;
    },
  };

  // /metrics, /healthz and /readyz.
  const httpP = (port: number): Part => {
    const ops = createOpsRoutes({ registry: metrics.registry, live: () => state === 'running', checks });
    const server = createServer((req, res) => {
      if (!ops(req, res)) {
        res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: `no route for ${JSON.stringify(req.url ?? '/')}; a worker serves /metrics, /healthz and /readyz` } }));
      }
    });
    return httpServerPart('http', server, opts.httpHost, port, (bound) => (httpUrl = `http://${formatHostPort(opts.httpHost, bound)}`));
  };

  // Only for the depth gauge and readiness: fail fast rather than queue commands while Redis is down.
  const queueP: Part = {
    name: 'queue',
    start: async () => {
      const connection = queueConnection(opts.redisUrl, 'fail-fast');
      const opened = new Queue(BATCH_QUEUE, { prefix: queuePrefixFor(opts.redisUrl, opts.prefix), connection: connection.connection });
      opened.on('error', (err) => log.debug({ err }, 'queue connection error'));
      // A cluster's client was handed to BullMQ, which leaves it open: closed after the queue.
      const close = () => opened.close().finally(() => connection.close());
      try {
        await opened.waitUntilReady();
      } catch (err) {
        await close().catch(() => undefined);
        throw err;
      }
      metrics.labelledGauge('cohort_queue_jobs', 'Jobs in the batch queue, by state.', ['queue', 'state'], async () =>
        Object.entries(await opened.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed')).map(([s, n]) => [{ queue: BATCH_QUEUE, state: s }, n]),
      );
      checks.push({ name: 'redis', check: () => opened.getJobCounts('waiting') });
      return { stop: close };
    },
  };

  const workerP: Part = {
    name: 'worker',
    start: async () => {
      const { retryInitialMs, retryMaxMs } = opts;
      const apply = createBatchProcessor({ engine, limits: opts.limits, log, metrics });
      // Workers wait for Redis as long as it takes (BullMQ requires this of blocking connections).
      const connection = queueConnection(opts.redisUrl, 'blocking');
      const worker = new Worker(
        BATCH_QUEUE,
        async (job) => {
          active++;
          try {
            return await apply(job);
          } finally {
            active--;
          }
        },
        {
          prefix: queuePrefixFor(opts.redisUrl, opts.prefix),
          connection: connection.connection,
          concurrency: opts.concurrency,
          autorun: false,
          lockDuration: opts.lockDurationMs,
          // BullMQ looks for lapsed locks every stalledInterval (30 s by default): without this, a small
          // lockDuration alone would still leave a killed worker's jobs waiting up to 30 s.
          stalledInterval: Math.min(30_000, opts.lockDurationMs),
          settings: {
            // Exponential with full jitter, capped: many runs waiting on one database do not retry in lockstep.
            backoffStrategy: (attemptsMade: number) => Math.round(Math.random() * Math.min(retryMaxMs, retryInitialMs * 2 ** Math.max(0, attemptsMade - 1))),
          },
        },
      );
      worker.on('error', (err) => log.warn({ err }, 'worker connection error'));
      worker.on('completed', () => completed++);
      worker.on('failed', () => failedAttempts++);
      // Stop taking jobs; let those in progress commit, up to the deadline (then their locks lapse and they are retried).
      const stop = async (deadline: Deadline) => {
        if ((await Promise.race([worker.close(), deadline])) === 'timeout') await worker.close(true);
        await connection.close();
      };
      try {
        void worker.run().catch((err: unknown) => log.error({ err }, 'worker stopped'));
        await worker.waitUntilReady();
      } catch (err) {
        await worker.close(true).catch(() => undefined);
        await connection.close().catch(() => undefined);
        throw err;
      }
      return { stop };
    },
  };

  metrics.gauge('cohort_worker_active_jobs', 'Batch jobs this worker is applying now.', () => active);
  metrics.gauge('cohort_worker_concurrency', 'Batch jobs this worker applies at once at most.', () => opts.concurrency);
  const parts: Part[] = [storeP, ...(opts.httpPort !== undefined ? [httpP(opts.httpPort)] : []), queueP, workerP];
  let started: StartedParts;
  try {
    started = await startParts(parts, { what: 'worker', log, shutdownTimeoutMs: opts.shutdownTimeoutMs });
  } catch (err) {
    throw err instanceof CohortError ? err : new CohortError('UNAVAILABLE', `cannot start the worker: ${(err as Error).message}`, { cause: err });
  }
  log.info({ concurrency: opts.concurrency, prefix: opts.prefix, redis: redact(opts.redisUrl), ...(httpUrl !== undefined && { httpUrl }) }, 'worker started');

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
    concurrency: opts.concurrency,
    stats: () => ({ state, concurrency: opts.concurrency, active, completed, failedAttempts }),
    metrics: () => metrics.registry.metrics(),
    close,
    [Symbol.asyncDispose]: close,
  };
}
