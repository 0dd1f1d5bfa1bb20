import { createServer } from 'node:http';
import { Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { Engine } from '@cohort/engine';
import { BATCH_QUEUE, type Limits } from '@cohort/protocol';
import { PostgresStore, openPostgresStore } from '@cohort/store';
import {
  agreeOnQueueShards,
  createOpsRoutes,
  formatHostPort,
  httpServerPart,
  NOTHING_TO_STOP,
  QUEUE_SHARDS_CHECK_MS,
  queueConnection,
  queueShardLabel,
  serveQueueShardsGauge,
  type CheckedWorkerOptions,
  type Deadline,
  type Part,
  type ReadinessCheck,
  type ScriptClient,
} from '@cohort/ops';
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
  /** The key prefix of each shard of the batch queue (`queueShardPrefixes`: on a cluster a search, so made once). */
  readonly shardPrefixes: readonly string[];
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
          max: totalConcurrency(opts.concurrency, opts.queueShards) + 2,
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

/**
 * The shards of the batch queue, for the depth gauge and readiness, and to
 * check that this worker counts as many shards as the deployment
 * (`agreeOnQueueShards`) before it takes a job: fails fast rather than
 * queue commands while Redis is down. Then, every `queueShardsCheckMs`, the
 * count is recorded again if Redis lost it, and another count recorded
 * meanwhile is logged and served as `cohort_queue_shards_mismatch`.
 */
export function queuePart(ctx: WorkerContext): Part {
  const { options, opts, log, metrics } = ctx;
  return {
    name: 'queue',
    start: async () => {
      const connection = queueConnection(opts.redisUrl, 'fail-fast');
      const shards = ctx.shardPrefixes.map((prefix, i) => {
        const queue = new Queue(BATCH_QUEUE, { prefix, connection: connection.connection });
        queue.on('error', (err) => log.debug({ err, shard: i }, 'queue connection error'));
        return { label: queueShardLabel(BATCH_QUEUE, i), queue };
      });
      let watchTimer: NodeJS.Timeout | undefined;
      // A cluster's client was handed to BullMQ, which leaves it open: closed after the queues.
      const close = async () => {
        clearInterval(watchTimer);
        const closed = await Promise.allSettled(shards.map((s) => s.queue.close()));
        await connection.close();
        for (const c of closed) if (c.status === 'rejected') throw c.reason;
      };
      try {
        await Promise.all(shards.map((s) => s.queue.waitUntilReady()));
        const client: ScriptClient = await shards[0]!.queue.getBackend().client;
        const watch = await agreeOnQueueShards(client, { url: opts.redisUrl, prefix: opts.prefix, shards: opts.queueShards, who: 'worker', log });
        watchTimer = setInterval(() => void watch.check(), options.queueShardsCheckMs ?? QUEUE_SHARDS_CHECK_MS);
        watchTimer.unref();
        serveQueueShardsGauge(metrics, () => watch.differs);
      } catch (err) {
        await close().catch(() => undefined);
        throw err;
      }
      metrics.labelledGauge('cohort_queue_jobs', 'Jobs in the batch queue, by shard and state.', ['queue', 'state'], async () =>
        (
          await Promise.all(
            shards.map(async ({ label, queue }) =>
              Object.entries(await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed')).map(([s, n]): [Record<string, string>, number] => [{ queue: label, state: s }, n]),
            ),
          )
        ).flat(),
      );
      ctx.checks.push({ name: 'redis', check: () => Promise.all(shards.map((s) => s.queue.getJobCounts('waiting'))) });
      return { stop: close };
    },
  };
}

/** Jobs a worker applies at once: `concurrency`, split over the shards, at least one per shard. */
export function totalConcurrency(concurrency: number, shards: number): number {
  return Math.max(concurrency, shards);
}

/** Shard i's share of `concurrency`: an even split, the remainder to the first shards, at least 1. */
function shardConcurrency(concurrency: number, shards: number, i: number): number {
  return Math.max(1, Math.floor(concurrency / shards) + (i < concurrency % shards ? 1 : 0));
}

/**
 * The BullMQ workers applying the batch jobs, one per shard of the queue,
 * `concurrency` split over them; on stop they take no more jobs and let
 * those in progress commit, up to the deadline.
 */
export function workerPart(ctx: WorkerContext): Part {
  const { opts, log, metrics, counts } = ctx;
  return {
    name: 'worker',
    start: async () => {
      const { retryInitialMs, retryMaxMs } = opts;
      const prefixes = ctx.shardPrefixes;
      const shards = prefixes.map((prefix, i) => {
        const apply = createBatchProcessor({ engine: ctx.served.engine, limits: opts.limits, log, metrics, queue: queueShardLabel(BATCH_QUEUE, i) });
        // Workers wait for Redis as long as it takes (BullMQ requires this of blocking connections); each its own.
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
            prefix,
            connection: connection.connection,
            concurrency: shardConcurrency(opts.concurrency, prefixes.length, i),
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
        worker.on('error', (err) => log.warn({ err, shard: i }, 'worker connection error'));
        worker.on('completed', () => counts.completed++);
        worker.on('failed', () => counts.failedAttempts++);
        return { worker, connection };
      });
      const closeConnections = () => Promise.all(shards.map((s) => s.connection.close()));
      // Stop taking jobs; let those in progress commit, up to the deadline (then their locks lapse and they are retried).
      const stop = async (deadline: Deadline) => {
        const closed = Promise.all(shards.map((s) => s.worker.close()));
        if ((await Promise.race([closed, deadline])) === 'timeout') await Promise.all(shards.map((s) => s.worker.close(true)));
        await closeConnections();
      };
      try {
        for (const { worker } of shards) void worker.run().catch((err: unknown) => log.error({ err }, 'worker stopped'));
        await Promise.all(shards.map((s) => s.worker.waitUntilReady()));
      } catch (err) {
        await Promise.allSettled(shards.map((s) => s.worker.close(true)));
        await closeConnections().catch(() => undefined);
        throw err;
      }
      return { stop };
    },
  };
}
