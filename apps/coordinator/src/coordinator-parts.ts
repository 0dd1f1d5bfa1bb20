import { mkdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { Engine, type EngineOptions, type ExpiredRun } from '@cohort/engine';
import { openPostgresStore, openSqliteStore, PostgresStore } from '@cohort/store';
import { NOTHING_TO_STOP, serveQueueShardsGauge, type Part, type ReadinessCheck } from '@cohort/ops';
import { ApplyQueues, type ApplyBatch } from './apply-queue.js';
import { openAssets, type Assets } from './artifacts/assets.js';
import { Access } from './auth/access.js';
import type { ResolvedAuthOptions } from './auth/auth-options.js';
import type { CoordinatorMetrics } from './coordinator-metrics.js';
import type { CoordinatorOptions, ResolvedCoordinatorOptions } from './coordinator-options.js';
import type { GrpcService } from './grpc-service.js';
import { groupChecksTask } from './group-checks-task.js';
import { heartbeatSweeperTask } from './heartbeat-sweeper.js';
import { historyCompactionTask } from './history-compaction-task.js';
import { runUrl } from './run-url.js';
import { BatchProducer } from './scaled/batch-producer.js';
import { startLocalTasks, startSharedTasks, type ScheduledTask, type ScheduledTasks } from './scheduled-tasks.js';
import type { ServerInfoView } from './server-info.js';

/** The most record bytes merged into one queued job (4/3 of it in Redis, as base64). */
export const MAX_JOB_BYTES = 4 * 1024 * 1024;

/** What the parts set as they start; a part reads only what the parts before it set. */
export interface Served {
  engine: Engine;
  access: Access;
  /** Scaled mode. */
  producer: BatchProducer | undefined;
  assets: Assets;
  housekeeping: ScheduledTasks | undefined;
  queues: ApplyQueues;
  grpc: GrpcService;
  /** With `metricsPort`. */
  metricsUrl: string | undefined;
}

/** What every part of a coordinator shares. */
export interface CoordinatorContext {
  readonly options: CoordinatorOptions;
  readonly opts: ResolvedCoordinatorOptions;
  readonly auth: ResolvedAuthOptions;
  /** The coordinator's own logger (`component: coordinator`). */
  readonly log: Logger;
  readonly metrics: CoordinatorMetrics;
  /** The dashboard's built files, or `null` for the server-rendered pages. */
  readonly webDir: string | null;
  /** What `/readyz` checks; parts add theirs. */
  readonly checks: ReadinessCheck[];
  /** `/metrics`, `/healthz` and `/readyz`. */
  readonly ops: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** The addresses, filled in as the servers listen. */
  info: ServerInfoView;
  /** False once the coordinator is closing. */
  accepting(): boolean;
  readonly served: Served;
}

/** The store and the engine over it (closed on stop when the coordinator opened it), and who may call. */
export function enginePart(ctx: CoordinatorContext): Part {
  return {
    name: 'engine',
    start: async () => {
      const { opts, options, auth } = ctx;
      const engineOptions: EngineOptions = {
        defaultEntity: opts.defaultEntity,
        maxRunsPerProject: opts.limits.maxRunsPerProject,
        maxKeysPerRun: opts.limits.maxKeysPerRun,
        maxSummaryBytes: opts.limits.maxSummaryBytes,
      };
      const scaled = opts.scaled;
      const engine =
        options.engine ??
        (scaled
          ? new Engine(await openPostgresStore(scaled.postgresUrl!, { ...(scaled.postgresSchema !== undefined && { schema: scaled.postgresSchema }) }), engineOptions)
          : openEngine(opts.dataDir, engineOptions));
      ctx.served.engine = engine;
      ctx.served.access = new Access({
        mode: auth.mode,
        identity: engine.store.identity,
        defaultEntity: opts.defaultEntity,
        rateLimit: auth.rateLimit,
        ...(auth.keyCacheTtlMs !== undefined && { keyCacheTtlMs: auth.keyCacheTtlMs }),
      });
      const store = engine.store;
      if (store instanceof PostgresStore) ctx.checks.push({ name: 'postgres', check: () => store.pool.query('SELECT 1') });
      return options.engine === undefined ? { stop: () => engine.close() } : NOTHING_TO_STOP;
    },
  };
}

function openEngine(dataDir: string, options: EngineOptions): Engine {
  if (dataDir === ':memory:') return new Engine(openSqliteStore(':memory:'), options);
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  return new Engine(openSqliteStore(join(dir, 'cohort.db')), options);
}

/** Scaled mode: the producer of the batch queue that the workers apply. */
export function producerPart(ctx: CoordinatorContext, scaled: NonNullable<ResolvedCoordinatorOptions['scaled']>): Part {
  return {
    name: 'producer',
    start: async () => {
      const { metrics } = ctx;
      const engine = ctx.served.engine;
      const opened = await BatchProducer.open({
        redisUrl: scaled.redisUrl,
        prefix: scaled.prefix,
        queueShards: scaled.queueShards,
        maxQueueDepth: scaled.maxQueueDepth,
        backpressureTimeoutMs: scaled.backpressureTimeoutMs,
        jobTimeoutMs: scaled.jobTimeoutMs,
        jobAttempts: scaled.jobAttempts,
        depthPollMs: scaled.depthPollMs,
        lostJobCheckMs: scaled.lostJobCheckMs,
        gatherMs: scaled.gatherMs,
        maxJobBatches: scaled.maxJobBatches,
        maxJobBytes: MAX_JOB_BYTES,
        appliedSeq: (writer) => engine.appliedSeq(writer),
        log: ctx.opts.logger.child({ component: 'batch-producer' }),
        onBackpressure: () => metrics.backpressureWaits.inc(),
      });
      ctx.served.producer = opened;
      metrics.labelledGauge('cohort_queue_jobs', 'Jobs in the batch queue, by shard and state (scaled mode).', ['queue', 'state'], async () =>
        (await opened.jobCounts()).flatMap(({ queue, counts }) => Object.entries(counts).map(([jobState, n]): [Record<string, string>, number] => [{ queue, state: jobState }, n])),
      );
      metrics.labelledGauge('cohort_queue_lag_seconds', 'Seconds the oldest waiting job of each shard of the batch queue has waited (scaled mode).', ['queue'], async () =>
        (await opened.lagSeconds()).map(({ queue, seconds }): [Record<string, string>, number] => [{ queue }, seconds]),
      );
      metrics.gauge('cohort_backpressure_held_batches', 'Batches held back now because the batch queue is over its bound.', () => opened.held);
      serveQueueShardsGauge(metrics, () => opened.shardsDiffer);
      ctx.checks.push({ name: 'redis', check: () => opened.ping() });
      return { stop: () => opened.close() };
    },
  };
}

/** Blobs, artifacts and alert delivery (started later, by the alerts part). */
export function assetsPart(ctx: CoordinatorContext): Part {
  return {
    name: 'assets',
    start: async () => {
      const { opts } = ctx;
      const opened = await openAssets({
        ...ctx.options,
        engine: ctx.served.engine,
        dataDir: opts.dataDir,
        log: opts.logger,
        access: ctx.served.access,
        maxFileBytes: opts.limits.maxFileBytes,
        runUrl: (run) => runUrl(ctx.info.httpUrl, run),
      });
      ctx.served.assets = opened;
      return { stop: () => opened.close() };
    },
  };
}

/** Housekeeping: on timers here (embedded), or once across coordinators (scaled). */
export function housekeepingPart(ctx: CoordinatorContext): Part {
  return {
    name: 'housekeeping',
    start: async () => {
      const { opts, metrics } = ctx;
      const engine = ctx.served.engine;
      const scaled = opts.scaled;
      const tasks: ScheduledTask[] = [];
      if (opts.sweepIntervalMs > 0) {
        tasks.push(
          heartbeatSweeperTask({
            engine,
            heartbeatTimeoutSeconds: opts.heartbeatTimeoutSeconds,
            intervalMs: opts.sweepIntervalMs,
            log: opts.logger.child({ component: 'sweeper' }),
            onSweep: (expired: ExpiredRun[]) => {
              metrics.sweeps.inc();
              for (const run of expired) metrics.runsExpired.inc({ state: run.state });
            },
          }),
        );
      }
      if (opts.groupCheckIntervalMs > 0) {
        tasks.push(groupChecksTask({ engine, intervalMs: opts.groupCheckIntervalMs, thresholds: opts.groupChecks, log: opts.logger.child({ component: 'group-checks' }) }));
      }
      if (scaled && opts.compactionIntervalMs > 0) {
        tasks.push(
          historyCompactionTask({
            engine,
            intervalMs: opts.compactionIntervalMs,
            log: opts.logger.child({ component: 'compaction' }),
            onPass: (report) => {
              metrics.chunksCompacted.inc({ op: 'removed' }, report.chunksRemoved);
              metrics.chunksCompacted.inc({ op: 'written' }, report.chunksWritten);
            },
          }),
        );
      }
      tasks.push(...ctx.served.assets.tasks);
      if (tasks.length === 0) return NOTHING_TO_STOP;
      const taskLog = opts.logger.child({ component: 'housekeeping' });
      const running = scaled ? await startSharedTasks(tasks, { redisUrl: scaled.redisUrl, prefix: scaled.prefix, log: taskLog }) : startLocalTasks(tasks, taskLog);
      ctx.served.housekeeping = running;
      return { stop: () => running.close() };
    },
  };
}

/** The per-run queues of batches: applied in process (embedded) or queued for the workers (scaled); drained on stop. */
export function queuesPart(ctx: CoordinatorContext): Part {
  return {
    name: 'queues',
    start: async () => {
      const { opts, metrics, log } = ctx;
      const engine = ctx.served.engine;
      const queued = ctx.served.producer;
      const apply: ApplyBatch = queued
        ? async (run, records, raw) => {
            const start = performance.now();
            const result = await queued.apply(run, records, raw);
            metrics.applySeconds.observe({ mode: 'scaled' }, (performance.now() - start) / 1000);
            return result;
          }
        : async (run, records) => {
            const start = performance.now();
            const result = await engine.applyBatch(run, records);
            metrics.applySeconds.observe({ mode: 'embedded' }, (performance.now() - start) / 1000);
            if (result.rejected.length > 0) {
              log.info(
                { run: `${run.entity}/${run.project}/${run.runId}`, ...(run.writer !== '' && { writer: run.writer }), rejected: result.rejected.map((r) => ({ seq: r.seq, code: r.error.code, reason: r.error.message })) },
                'records refused by the engine',
              );
            }
            return result;
          };
      const scaled = opts.scaled;
      const opened = new ApplyQueues(
        apply,
        {
          maxQueuedBatches: opts.maxQueuedBatchesPerRun,
          maxQueuedBytes: opts.maxQueuedBytesPerRun,
          ...(scaled && { coalesceBatches: scaled.coalesceBatches, coalesceBytes: MAX_JOB_BYTES, coalesceRecords: opts.limits.maxRecordsPerBatch }),
        },
        metrics.applyObserver(),
      );
      ctx.served.queues = opened;
      metrics.gauge('cohort_run_queue_batches', 'Batches waiting in the per-run queues of this coordinator.', () => opened.totals().batches);
      metrics.gauge('cohort_run_queue_bytes', 'Bytes of the batches waiting in the per-run queues of this coordinator.', () => opened.totals().bytes);
      // Batches already queued finish before the store closes.
      return { stop: async (deadline) => void (await Promise.race([opened.drain(), deadline])) };
    },
  };
}
