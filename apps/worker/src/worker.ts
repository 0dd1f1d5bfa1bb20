import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue, Worker } from 'bullmq';
import { pino, type Logger } from 'pino';
import { Engine } from '@cohort/engine';
import { BATCH_QUEUE, CohortError, DEFAULT_QUEUE_PREFIX, resolveLimits, type Limits } from '@cohort/protocol';
import { PostgresStore, openPostgresStore, type Store } from '@cohort/store';
import { createBatchProcessor } from './batch-processor.js';
import { createOpsRoutes, type ReadinessCheck } from '@cohort/ops';
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

interface ResolvedWorkerOptions {
  redisUrl: string;
  concurrency: number;
  prefix: string;
  logger: Logger;
  httpHost: string;
  httpPort: number | undefined;
  defaultEntity: string;
  limits: Readonly<Limits>;
  retryInitialMs: number;
  retryMaxMs: number;
  lockDurationMs: number;
  shutdownTimeoutMs: number;
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

function resolveOptions(options: WorkerOptions): ResolvedWorkerOptions {
  const int = (name: string, value: number | undefined, fallback: number, min: number, max: number): number => {
    const v = value ?? fallback;
    if (!Number.isInteger(v) || v < min || v > max) throw new TypeError(`Expected \`${name}\` to be an integer from ${min} to ${max}, got \`${String(v)}\` (${typeof v})`);
    return v;
  };
  if (typeof options.redisUrl !== 'string' || !/^rediss?:\/\//.test(options.redisUrl)) {
    throw new TypeError(`Expected \`redisUrl\` to be a redis:// URL, got \`${redact(String(options.redisUrl))}\``);
  }
  if (options.store === undefined && (options.postgresUrl === undefined || !/^postgres(ql)?:\/\//.test(options.postgresUrl))) {
    throw new TypeError(`Expected \`postgresUrl\` to be a postgres:// URL (or a \`store\`), got \`${redact(String(options.postgresUrl))}\``);
  }
  const prefix = options.prefix ?? DEFAULT_QUEUE_PREFIX;
  if (!/^[A-Za-z0-9_.{}-]{1,64}$/.test(prefix)) throw new TypeError(`Expected \`prefix\` to be 1 to 64 letters, digits, _ . - { }, got \`${prefix}\``);
  return {
    redisUrl: options.redisUrl,
    concurrency: int('concurrency', options.concurrency, 4, 1, 1024),
    prefix,
    logger: options.logger ?? pino({ level: 'silent' }),
    httpHost: options.httpHost ?? '127.0.0.1',
    httpPort: options.httpPort === undefined ? undefined : int('httpPort', options.httpPort, 0, 0, 65535),
    defaultEntity: options.defaultEntity ?? 'local',
    limits: resolveLimits(options.limits),
    retryInitialMs: int('retryInitialMs', options.retryInitialMs, 100, 1, 3_600_000),
    retryMaxMs: int('retryMaxMs', options.retryMaxMs, 5000, 1, 3_600_000),
    lockDurationMs: int('lockDurationMs', options.lockDurationMs, 30_000, 1000, 3_600_000),
    shutdownTimeoutMs: int('shutdownTimeoutMs', options.shutdownTimeoutMs, 10_000, 1, 3_600_000),
  };
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
}

function listenHttp(server: HttpServer, host: string, port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(new CohortError('UNAVAILABLE', `cannot serve HTTP on ${host}:${port}: ${err.code ?? err.message}`, { cause: err }));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolvePort((server.address() as AddressInfo).port);
    });
  });
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
  const opts = resolveOptions(options);
  const log = opts.logger.child({ component: 'worker' });
  const metrics = new WorkerMetrics();
  let state: WorkerState = 'running';
  let completed = 0;
  let failedAttempts = 0;

  const ownsStore = options.store === undefined;
  const store =
    options.store ??
    (await openPostgresStore(options.postgresUrl!, {
      // One connection per job in progress, and a spare for readiness probes.
      max: opts.concurrency + 2,
      ...(options.postgresSchema !== undefined && { schema: options.postgresSchema }),
    }));
  // The worker applies the batches, so the per-run bounds are its own to enforce (docs/SECURITY.md, "Limits").
  const engine = new Engine(store, { defaultEntity: opts.defaultEntity, maxKeysPerRun: opts.limits.maxKeysPerRun, maxSummaryBytes: opts.limits.maxSummaryBytes });
  const { retryInitialMs, retryMaxMs } = opts;
  const apply = createBatchProcessor({ engine, limits: opts.limits, log, metrics });
  let active = 0;
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
    prefix: opts.prefix,
    // Workers wait for Redis as long as it takes (BullMQ requires this of blocking connections).
    connection: { url: opts.redisUrl, maxRetriesPerRequest: null },
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
  // Only for the depth gauge and readiness: fail fast rather than queue commands while Redis is down.
  const queue = new Queue(BATCH_QUEUE, { prefix: opts.prefix, connection: { url: opts.redisUrl, maxRetriesPerRequest: 1, enableOfflineQueue: false } });
  queue.on('error', (err) => log.debug({ err }, 'queue connection error'));

  metrics.gauge('cohort_worker_active_jobs', 'Batch jobs this worker is applying now.', () => active);
  metrics.gauge('cohort_worker_concurrency', 'Batch jobs this worker applies at once at most.', () => opts.concurrency);
  metrics.labelledGauge('cohort_queue_jobs', 'Jobs in the batch queue, by state.', ['queue', 'state'], async () =>
    Object.entries(await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed')).map(([s, n]) => [{ queue: BATCH_QUEUE, state: s }, n]),
  );
  const checks: ReadinessCheck[] = [{ name: 'redis', check: () => queue.getJobCounts('waiting') }];
  if (store instanceof PostgresStore) checks.push({ name: 'postgres', check: () => store.pool.query('SELECT 1') });
  let httpServer: HttpServer | undefined;
  let httpUrl: string | undefined;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      state = 'closing';
      const errors: unknown[] = [];
      const step = async (name: string, run: () => Promise<unknown>) => {
        try {
          await run();
        } catch (err) {
          log.warn({ err, step: name }, 'close step failed');
          errors.push(err);
        }
      };
      // 1. Stop taking jobs; let those in progress commit, up to the deadline (then their locks lapse and they are retried).
      await step('worker', async () => {
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<'timeout'>((r) => {
          timer = setTimeout(() => r('timeout'), opts.shutdownTimeoutMs);
          timer.unref();
        });
        const graceful = worker.close();
        if ((await Promise.race([graceful, deadline])) === 'timeout') await worker.close(true);
        clearTimeout(timer);
      });
      await step('queue', () => queue.close());
      await step('http', async () => {
        if (!httpServer?.listening) return;
        const closed = new Promise<void>((r) => httpServer!.close(() => r()));
        httpServer.closeAllConnections();
        await closed;
      });
      if (ownsStore) await step('store', () => engine.close());
      state = 'closed';
      log.info('worker closed');
      if (errors.length > 0) throw new AggregateError(errors, 'worker: close failed');
    })();
    return closing;
  };

  try {
    if (opts.httpPort !== undefined) {
      const ops = createOpsRoutes({ registry: metrics.registry, live: () => state === 'running', checks });
      const server = createServer((req, res) => {
        if (!ops(req, res)) {
          res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
          res.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: `no route for ${JSON.stringify(req.url ?? '/')}; a worker serves /metrics, /healthz and /readyz` } }));
        }
      });
      httpServer = server;
      const port = await listenHttp(server, opts.httpHost, opts.httpPort);
      httpUrl = `http://${opts.httpHost.includes(':') ? `[${opts.httpHost}]` : opts.httpHost}:${port}`;
    }
    void worker.run().catch((err: unknown) => log.error({ err }, 'worker stopped'));
    await Promise.all([worker.waitUntilReady(), queue.waitUntilReady()]);
  } catch (err) {
    await close().catch(() => undefined);
    throw err instanceof CohortError ? err : new CohortError('UNAVAILABLE', `cannot start the worker: ${(err as Error).message}`, { cause: err });
  }
  log.info({ concurrency: opts.concurrency, prefix: opts.prefix, redis: redact(opts.redisUrl), ...(httpUrl !== undefined && { httpUrl }) }, 'worker started');

  return {
    httpUrl,
    concurrency: opts.concurrency,
    stats: () => ({ state, concurrency: opts.concurrency, active: active, completed, failedAttempts }),
    metrics: () => metrics.registry.metrics(),
    close,
    [Symbol.asyncDispose]: close,
  };
}
