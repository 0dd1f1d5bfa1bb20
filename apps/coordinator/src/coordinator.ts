import { mkdirSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { BATCH_QUEUE, CohortError } from '@cohort/protocol';
import { Engine, type EngineOptions, type ExpiredRun } from '@cohort/engine';
import { openPostgresStore, openSqliteStore, PostgresStore } from '@cohort/store';
import { createOpsRoutes, httpServerPart, NOTHING_TO_STOP, startParts, type Part, type ReadinessCheck } from '@cohort/ops';
import { ApplyQueues, type ApplyBatch } from './apply-queue.js';
import { openAssets, type Assets } from './artifacts/assets.js';
import { CoordinatorMetrics } from './coordinator-metrics.js';
import { parseCoordinatorOptions, type CoordinatorOptions } from './coordinator-options.js';
import { createGrpcService, type GrpcService } from './grpc-service.js';
import { SWEEPER_SCHEDULER_ID, heartbeatSweeperTask } from './heartbeat-sweeper.js';
import { createHttpHandler } from './http-api.js';
import { RunStreams } from './run-stream.js';
import { createWebAssets, defaultWebDir } from './web-assets.js';
import { runUrl } from './run-url.js';
import { BatchProducer, redactUrl } from './scaled/batch-producer.js';
import { groupChecksTask } from './group-checks-task.js';
import { historyCompactionTask } from './history-compaction-task.js';
import { startLocalTasks, startSharedTasks, type ScheduledTask, type ScheduledTasks } from './scheduled-tasks.js';
import { coordinatorVersion, formatHostPort, type ServerInfoView } from './server-info.js';
import { Access } from './auth/access.js';
import { StreamSlots } from './auth/stream-slots.js';
import { createMetricsGate } from './metrics-gate.js';
import { resolveAuthOptions, type TlsOptions } from './auth/auth-options.js';

/** The most record bytes merged into one queued job (4/3 of it in Redis, as base64). */
const MAX_JOB_BYTES = 4 * 1024 * 1024;

/** A running coordinator. */
export interface Coordinator {
  /** `host:port` of the gRPC server. */
  readonly grpcAddress: string;
  /** `http://host:port` of the HTTP API and pages. */
  readonly httpUrl: string;
  /** `http://host:port` of the metrics port, when `metricsPort` was given. */
  readonly metricsUrl: string | undefined;
  /** The engine it serves. */
  readonly engine: Engine;
  /** What it holds right now: live record streams, and batches (and their bytes) waiting to be applied. */
  stats(): CoordinatorStats;
  /** The Prometheus text of its metrics (what `GET /metrics` answers). */
  metrics(): Promise<string>;
  /**
   * Stops: new streams are refused, live streams get their pending batches
   * acked then end with UNAVAILABLE, the servers shut down (forced after
   * `shutdownTimeoutMs`), and an engine the coordinator opened is closed.
   * Memoized: every call returns the same promise.
   */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A snapshot of a coordinator's load. */
export interface CoordinatorStats {
  state: CoordinatorState;
  mode: 'embedded' | 'scaled';
  streams: number;
  queuedBatches: number;
  queuedBytes: number;
  /** Scaled mode: the estimated depth of the shared batch queue (waiting jobs). */
  queueDepth?: number;
  /** Scaled mode: batches held back right now because the batch queue is over its bound. */
  heldBatches?: number;
  /** Heartbeat sweeps this coordinator ran. */
  sweeps: number;
}

/** Lifecycle of a coordinator. */
export type CoordinatorState = 'running' | 'closing' | 'closed';

function advertised(bindHost: string, override: string | undefined): string {
  if (override !== undefined) return override;
  return bindHost === '0.0.0.0' || bindHost === '::' ? hostname() : bindHost;
}

function openEngine(dataDir: string, options: EngineOptions): Engine {
  if (dataDir === ':memory:') return new Engine(openSqliteStore(':memory:'), options);
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  return new Engine(openSqliteStore(join(dir, 'cohort.db')), options);
}

function bindGrpc(server: grpc.Server, host: string, port: number, tls: TlsOptions | undefined): Promise<number> {
  const credentials = tls
    ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }], false)
    : grpc.ServerCredentials.createInsecure();
  return new Promise((resolvePort, reject) => {
    server.bindAsync(formatHostPort(host, port), credentials, (err, bound) => {
      if (err) reject(new CohortError('UNAVAILABLE', `cannot serve gRPC on ${formatHostPort(host, port)}: ${err.message}`, { cause: err }));
      else resolvePort(bound);
    });
  });
}

/**
 * Starts a coordinator: the gRPC service the SDK streams records to, and the
 * HTTP JSON API and pages, plus `/metrics`, `/healthz` and `/readyz`. It
 * touches no process signals; `cohort server` does that.
 *
 * Embedded mode (the default) applies batches in process over SQLite. With
 * `scaled` it opens runs and serves reads from PostgreSQL but queues batches
 * on BullMQ for `cohort worker`s, and acks each one once a worker committed it.
 *
 * It is a list of parts, started in order and stopped in reverse: the store,
 * the queue producer (scaled), blobs and alerts, housekeeping, the per-run
 * queues, the metrics port, HTTP, gRPC, alert delivery. A part that fails to
 * start (a port in use) stops the parts before it.
 *
 * @example
 * await using coordinator = await startCoordinator({ dataDir: './cohort-data', grpcPort: 0, httpPort: 0 });
 * console.log(coordinator.grpcAddress, coordinator.httpUrl);
 * await using scaled = await startCoordinator({ scaled: { redisUrl: 'redis://redis:6379', postgresUrl: 'postgres://cohort@db/cohort' } });
 */
export async function startCoordinator(options: CoordinatorOptions = {}): Promise<Coordinator> {
  const opts = parseCoordinatorOptions(options);
  const auth = resolveAuthOptions(options, [opts.grpcHost, opts.httpHost]);
  const log = opts.logger.child({ component: 'coordinator' });
  // Before anything opens: a bad COHORT_WEB_DIR fails here.
  const web = options.webDir === undefined ? defaultWebDir() : { dir: options.webDir };
  if ('why' in web) log.warn(web.why);
  const scaled = opts.scaled;
  const ownsEngine = options.engine === undefined;
  const metrics = new CoordinatorMetrics();

  let state: CoordinatorState = 'running';
  let info: ServerInfoView = { version: coordinatorVersion(), grpcAddress: '', httpUrl: '', defaultEntity: opts.defaultEntity };
  // Set by the parts as they start, in the order of `parts`.
  let engine!: Engine;
  let access!: Access;
  let producer: BatchProducer | undefined;
  let assets!: Assets;
  let housekeeping: ScheduledTasks | undefined;
  let queues!: ApplyQueues;
  let grpcService!: GrpcService;
  let metricsUrl: string | undefined;
  const checks: ReadinessCheck[] = [];
  const ops = createOpsRoutes({ registry: metrics.registry, live: () => state === 'running', checks });

  const engineOptions: EngineOptions = {
    defaultEntity: opts.defaultEntity,
    maxRunsPerProject: opts.limits.maxRunsPerProject,
    maxKeysPerRun: opts.limits.maxKeysPerRun,
    maxSummaryBytes: opts.limits.maxSummaryBytes,
  };

  const engineP: Part = {
    name: 'engine',
    start: async () => {
      if (options.engine) engine = options.engine;
      else if (scaled) engine = new Engine(await openPostgresStore(scaled.postgresUrl!, { ...(scaled.postgresSchema !== undefined && { schema: scaled.postgresSchema }) }), engineOptions);
      else engine = openEngine(opts.dataDir, engineOptions);
      access = new Access({
        mode: auth.mode,
        identity: engine.store.identity,
        defaultEntity: opts.defaultEntity,
        rateLimit: auth.rateLimit,
        ...(auth.keyCacheTtlMs !== undefined && { keyCacheTtlMs: auth.keyCacheTtlMs }),
      });
      const store = engine.store;
      if (store instanceof PostgresStore) checks.push({ name: 'postgres', check: () => store.pool.query('SELECT 1') });
      const served = engine;
      return ownsEngine ? { stop: () => served.close() } : NOTHING_TO_STOP;
    },
  };

  const producerP = (queue: NonNullable<typeof scaled>): Part => ({
    name: 'producer',
    start: async () => {
      const served = engine;
      const opened = await BatchProducer.open({
        redisUrl: queue.redisUrl,
        prefix: queue.prefix,
        maxQueueDepth: queue.maxQueueDepth,
        backpressureTimeoutMs: queue.backpressureTimeoutMs,
        jobTimeoutMs: queue.jobTimeoutMs,
        jobAttempts: queue.jobAttempts,
        depthPollMs: queue.depthPollMs,
        lostJobCheckMs: queue.lostJobCheckMs,
        gatherMs: queue.gatherMs,
        maxJobBatches: queue.maxJobBatches,
        maxJobBytes: MAX_JOB_BYTES,
        appliedSeq: (writer) => served.appliedSeq(writer),
        log: opts.logger.child({ component: 'batch-producer' }),
        onBackpressure: () => metrics.backpressureWaits.inc(),
      });
      producer = opened;
      metrics.labelledGauge('cohort_queue_jobs', 'Jobs in the batch queue, by state (scaled mode).', ['queue', 'state'], async () =>
        Object.entries(await opened.jobCounts()).map(([jobState, n]) => [{ queue: BATCH_QUEUE, state: jobState }, n]),
      );
      metrics.labelledGauge('cohort_queue_lag_seconds', 'Seconds the oldest waiting job of the batch queue has waited (scaled mode).', ['queue'], async () => [
        [{ queue: BATCH_QUEUE }, await opened.lagSeconds()],
      ]);
      metrics.gauge('cohort_backpressure_held_batches', 'Batches held back now because the batch queue is over its bound.', () => opened.held);
      checks.push({ name: 'redis', check: () => opened.ping() });
      return { stop: () => opened.close() };
    },
  });

  const assetsP: Part = {
    name: 'assets',
    start: async () => {
      const opened = await openAssets({ ...options, engine, dataDir: opts.dataDir, log: opts.logger, access, maxFileBytes: opts.limits.maxFileBytes, runUrl: (run) => runUrl(info.httpUrl, run) });
      assets = opened;
      return { stop: () => opened.close() };
    },
  };

  // Housekeeping: on timers here (embedded), or once across coordinators (scaled).
  const housekeepingP: Part = {
    name: 'housekeeping',
    start: async () => {
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
      tasks.push(...assets.tasks);
      if (tasks.length === 0) return NOTHING_TO_STOP;
      const taskLog = opts.logger.child({ component: 'housekeeping' });
      const running = scaled ? await startSharedTasks(tasks, { redisUrl: scaled.redisUrl, prefix: scaled.prefix, log: taskLog }) : startLocalTasks(tasks, taskLog);
      housekeeping = running;
      return { stop: () => running.close() };
    },
  };

  // The per-run queues of batches: applied in process (embedded) or queued for the workers (scaled).
  const queuesP: Part = {
    name: 'queues',
    start: async () => {
      const served = engine;
      const queued = producer;
      const apply: ApplyBatch = queued
        ? async (run, records, raw) => {
            const start = performance.now();
            const result = await queued.apply(run, records, raw);
            metrics.applySeconds.observe({ mode: 'scaled' }, (performance.now() - start) / 1000);
            return result;
          }
        : async (run, records) => {
            const start = performance.now();
            const result = await served.applyBatch(run, records);
            metrics.applySeconds.observe({ mode: 'embedded' }, (performance.now() - start) / 1000);
            if (result.rejected.length > 0) {
              log.info(
                { run: `${run.entity}/${run.project}/${run.runId}`, ...(run.writer !== '' && { writer: run.writer }), rejected: result.rejected.map((r) => ({ seq: r.seq, code: r.error.code, reason: r.error.message })) },
                'records refused by the engine',
              );
            }
            return result;
          };
      const opened = new ApplyQueues(
        apply,
        {
          maxQueuedBatches: opts.maxQueuedBatchesPerRun,
          maxQueuedBytes: opts.maxQueuedBytesPerRun,
          ...(scaled && { coalesceBatches: scaled.coalesceBatches, coalesceBytes: MAX_JOB_BYTES, coalesceRecords: opts.limits.maxRecordsPerBatch }),
        },
        metrics.applyObserver(),
      );
      queues = opened;
      metrics.gauge('cohort_run_queue_batches', 'Batches waiting in the per-run queues of this coordinator.', () => opened.totals().batches);
      metrics.gauge('cohort_run_queue_bytes', 'Bytes of the batches waiting in the per-run queues of this coordinator.', () => opened.totals().bytes);
      // Batches already queued finish before the store closes.
      return { stop: async (deadline) => void (await Promise.race([opened.drain(), deadline])) };
    },
  };

  // A port of its own for /metrics, /healthz and /readyz.
  const metricsP = (metricsPort: number): Part => {
    const server = createHttpServer((req, res) => {
      if (!ops(req, res)) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('the metrics port serves /metrics, /healthz and /readyz\n');
      }
    });
    return httpServerPart('metrics-http', server, opts.metricsHost, metricsPort, (port) => (metricsUrl = `http://${formatHostPort(opts.metricsHost, port)}`));
  };

  const httpP: Part = {
    name: 'http',
    start: async () => {
      const liveViews = new RunStreams({ engine });
      const api = createHttpHandler({
        engine,
        log: opts.logger.child({ component: 'http' }),
        defaultEntity: opts.defaultEntity,
        info: () => info,
        streams: liveViews,
        access,
        secure: auth.tls !== undefined,
        assets: assets.routes,
        ...(web.dir !== null && { web: createWebAssets(web.dir) }),
      });
      const gate = createMetricsGate({ ops, access, separate: opts.metricsPort !== undefined });
      const onRequest = (req: IncomingMessage, res: ServerResponse) => {
        if (!gate(req, res)) api(req, res);
      };
      const server = auth.tls ? createHttpsServer({ cert: auth.tls.cert, key: auth.tls.key }, onRequest) : createHttpServer(onRequest);
      server.requestTimeout = 30_000;
      server.headersTimeout = 10_000;
      server.keepAliveTimeout = 5_000;
      const listening = await httpServerPart('http', server, opts.httpHost, opts.httpPort, (port) => {
        info = { ...info, httpUrl: `${auth.tls ? 'https' : 'http'}://${formatHostPort(advertised(opts.httpHost, opts.advertiseHost), port)}` };
      }).start();
      return {
        stop: async (deadline) => {
          // Live views (server-sent events) end first: HTTP then waits only for requests in flight.
          liveViews.close();
          await listening.stop(deadline);
        },
      };
    },
  };

  const grpcP: Part = {
    name: 'grpc',
    start: async () => {
      const service = createGrpcService({
        engine,
        queues,
        limits: opts.limits,
        log: opts.logger.child({ component: 'grpc' }),
        access,
        slots: new StreamSlots('record streams', opts.maxStreams, opts.maxStreamsPerKey),
        helloTimeoutMs: opts.helloTimeoutMs,
        info: () => info,
        accepting: () => state === 'running',
      });
      assets.addTo(service.server);
      let port: number;
      try {
        port = await bindGrpc(service.server, opts.grpcHost, opts.grpcPort, auth.tls);
      } catch (err) {
        service.server.forceShutdown();
        throw err;
      }
      grpcService = service;
      metrics.gauge('cohort_record_streams', 'Live record streams.', () => service.streams.size);
      info = { ...info, grpcAddress: formatHostPort(advertised(opts.grpcHost, opts.advertiseHost), port) };
      return {
        stop: async (deadline) => {
          // Live streams: pending batches are acked, then UNAVAILABLE so clients reconnect elsewhere.
          await Promise.race([Promise.allSettled([...service.streams].map((s) => s.shutdown())), deadline]);
          // A graceful shutdown bounded by the deadline, then forced.
          const graceful = new Promise<void>((r) => service.server.tryShutdown(() => r()));
          if ((await Promise.race([graceful, deadline])) === 'timeout') service.server.forceShutdown();
        },
      };
    },
  };

  // Alert delivery starts once the servers listen, so run URLs are known; the assets part stops it.
  const alertsP: Part = { name: 'alerts', start: async () => (assets.start(), NOTHING_TO_STOP) };

  const parts: Part[] = [
    engineP,
    ...(scaled ? [producerP(scaled)] : []),
    assetsP,
    housekeepingP,
    queuesP,
    ...(opts.metricsPort !== undefined ? [metricsP(opts.metricsPort)] : []),
    httpP,
    grpcP,
    alertsP,
  ];
  const started = await startParts(parts, { what: 'coordinator', log, shutdownTimeoutMs: opts.shutdownTimeoutMs });
  log.info(
    {
      grpcAddress: info.grpcAddress,
      httpUrl: info.httpUrl,
      mode: scaled ? 'scaled' : 'embedded',
      auth: auth.mode,
      tls: auth.tls !== undefined,
      ...(scaled ? { redis: redactUrl(scaled.redisUrl), prefix: scaled.prefix } : { dataDir: ownsEngine ? opts.dataDir : '(engine given)' }),
    },
    'coordinator started',
  );

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      state = 'closing';
      try {
        await started.stop();
      } finally {
        state = 'closed';
        log.info('coordinator closed');
      }
    })();
    return closing;
  };

  const queued = producer;
  return {
    grpcAddress: info.grpcAddress,
    httpUrl: info.httpUrl,
    metricsUrl,
    engine,
    stats: () => {
      const totals = queues.totals();
      return {
        state,
        mode: scaled ? 'scaled' : 'embedded',
        streams: grpcService.streams.size,
        queuedBatches: totals.batches,
        queuedBytes: totals.bytes,
        ...(queued && { queueDepth: queued.depth, heldBatches: queued.held }),
        sweeps: housekeeping?.runs(SWEEPER_SCHEDULER_ID) ?? 0,
      };
    },
    metrics: () => metrics.registry.metrics(),
    close,
    [Symbol.asyncDispose]: close,
  };
}
