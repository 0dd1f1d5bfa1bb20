import { createServer } from 'node:http';
import { Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { Engine } from '@cohort/engine';
import { BATCH_QUEUE, type Limits } from '@cohort/protocol';
import { PostgresStore, openPostgresStore } from '@cohort/store';
import { createOpsRoutes, formatHostPort, httpServerPart, NOTHING_TO_STOP, queueConnection, queuePrefixFor, type CheckedWorkerOptions, type Deadline, type Part, type ReadinessCheck } from '@cohort/ops';
import { createBatchProcessor } from './batch-processor.js';
import type { WorkerMetrics } from './worker-metrics.js';
import type { WorkerOptions } from './worker.js';

/** What every part of a worker shares. */
export interface WorkerContext {
  readonly options: WorkerOptions;
  readonly opts: CheckedWorkerOptions & { logger: Logger; limits: Readonly<Limits> };
  /** The worker's own logger (`component: worker`). */
  readonly log: Logger;
  readonly metrics: WorkerMetrics;
  /** What `/readyz` checks; parts add theirs. */
  readonly checks: ReadinessCheck[];
  /** False once the worker is closing. */
  live(): boolean;
  /** Jobs being applied now, completed, and failed attempts. */
  readonly counts: { active: number; completed: number; failedAttempts: number };
  /** What the parts set as they start; a part reads only what the parts before it set. */
  readonly served: { engine: Engine; httpUrl: string | undefined };
}

/** The store (closed on stop when the worker opened it) and the engine over it. */
export function storePart(ctx: WorkerContext): Part {
  const { options, opts } = ctx;
  return {
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
      ctx.served.engine = opened;
      if (store instanceof PostgresStore) ctx.checks.push({ name: 'postgres', check: () => store.pool.query('SELECT 1') });
      return options.store === undefined ? { stop: () => opened.close() } : NOTHING_TO_STOP;
    },
  };
}

/** `/metrics`, `/healthz` and `/readyz` on their own port. */
export function httpPart(ctx: WorkerContext, port: number): Part {
  const { opts } = ctx;
  const ops = createOpsRoutes({ registry: ctx.metrics.registry, live: ctx.live, checks: ctx.checks });
  const server = createServer((req, res) => {
    if (!ops(req, res)) {
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: `no route for ${JSON.stringify(req.url ?? '/')}; a worker serves /metrics, /healthz and /readyz` } }));
    }
  });
  return httpServerPart('http', server, opts.httpHost, port, (bound) => (ctx.served.httpUrl = `http://${formatHostPort(opts.httpHost, bound)}`));
}

/** The batch queue, only for the depth gauge and readiness: fails fast rather than queue commands while Redis is down. */
export function queuePart(ctx: WorkerContext): Part {
  const { opts, log, metrics } = ctx;
  return {
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
      ctx.checks.push({ name: 'redis', check: () => opened.getJobCounts('waiting') });
      return { stop: close };
    },
  };
}

/** The BullMQ worker applying the batch jobs; on stop it takes no more jobs and lets those in progress commit, up to the deadline. */
export function workerPart(ctx: WorkerContext): Part {
  const { opts, log, metrics, counts } = ctx;
  return {
    name: 'worker',
    start: async () => {
      const { retryInitialMs, retryMaxMs } = opts;
      const apply = createBatchProcessor({ engine: ctx.served.engine, limits: opts.limits, log, metrics });
      // Workers wait for Redis as long as it takes (BullMQ requires this of blocking connections).
      const connection = queueConnection(opts.redisUrl, 'blocking');
      const worker = new Worker(
        BATCH_QUEUE,
        async (job) => {
          counts.active++;
          try {
            return await apply(job);
          } finally {
            counts.active--;
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
      worker.on('completed', () => counts.completed++);
      worker.on('failed', () => counts.failedAttempts++);
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
}
