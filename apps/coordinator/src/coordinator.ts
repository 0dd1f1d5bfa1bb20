import { mkdirSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino, type Logger } from 'pino';
import { BATCH_QUEUE, CohortError, MAX_JOB_BATCHES, resolveLimits, type Limits } from '@cohort/protocol';
import { Engine, type EngineOptions, type ExpiredRun, type GroupCheckOptions } from '@cohort/engine';
import { openPostgresStore, openSqliteStore, PostgresStore } from '@cohort/store';
import { ApplyQueues, type ApplyBatch } from './apply-queue.js';
import { openAssets, type AssetOptions, type Assets } from './artifacts/assets.js';
import { CoordinatorMetrics } from './coordinator-metrics.js';
import { createGrpcService } from './grpc-service.js';
import { SWEEPER_SCHEDULER_ID, heartbeatSweeperTask } from './heartbeat-sweeper.js';
import { createHttpHandler } from './http-api.js';
import { RunStreams } from './run-stream.js';
import { createWebAssets, defaultWebDir } from './web-assets.js';
import { createOpsRoutes, type ReadinessCheck } from '@cohort/ops';
import { runUrl } from './run-url.js';
import { BatchProducer, redactUrl } from './scaled/batch-producer.js';
import { groupChecksTask } from './group-checks-task.js';
import { historyCompactionTask } from './history-compaction-task.js';
import { startLocalTasks, startSharedTasks, type ScheduledTask, type ScheduledTasks } from './scheduled-tasks.js';
import { coordinatorVersion, formatHostPort, type ServerInfoView } from './server-info.js';
import { Access } from './auth/access.js';
import { StreamSlots } from './auth/stream-slots.js';
import { createMetricsGate } from './metrics-gate.js';
import { resolveAuthOptions, type AuthOptions, type TlsOptions } from './auth/auth-options.js';

/** Options of {@link startCoordinator}. Blobs, artifacts and alert sinks: {@link AssetOptions}; keys, rate limit and TLS: {@link AuthOptions}. */
export interface CoordinatorOptions extends AssetOptions, AuthOptions {
  /**
   * Folder of the embedded store: SQLite at `<dataDir>/cohort.db`, created
   * if missing. `':memory:'` keeps everything in memory (tests). Ignored when
   * `engine` is given.
   * @defaultValue `':memory:'`
   */
  dataDir?: string;
  /** An engine to serve instead of opening one; the coordinator does not close it. */
  engine?: Engine;
  /** @defaultValue `'127.0.0.1'` */
  grpcHost?: string;
  /** 0 picks a free port. @defaultValue 7711 */
  grpcPort?: number;
  /** @defaultValue the gRPC host */
  httpHost?: string;
  /** 0 picks a free port. @defaultValue 7712 */
  httpPort?: number;
  /**
   * The host name clients should dial, in `grpcAddress`, `httpUrl` and run
   * URLs. @defaultValue the bind host, or the machine's host name when that is
   * `0.0.0.0` or `::`
   */
  advertiseHost?: string;
  /** The entity of runs opened without one. @defaultValue `'local'` */
  defaultEntity?: string;
  /** The process's root logger; the coordinator logs through children of it. @defaultValue a silent logger */
  logger?: Logger;
  /** Overrides of the record and message limits. @defaultValue `DEFAULT_LIMITS` */
  limits?: Partial<Limits>;
  /** Batches waiting per run before its streams stop reading. @defaultValue 16 */
  maxQueuedBatchesPerRun?: number;
  /** Bytes of batches waiting per run before its streams stop reading. @defaultValue 64 MiB */
  maxQueuedBytesPerRun?: number;
  /** Most concurrent record streams. @defaultValue 4096 */
  maxStreams?: number;
  /**
   * A port of its own for `/metrics` (plain HTTP on `metricsHost`; 0 picks a
   * free one); the main port then answers it 404. Without it, `/metrics` is
   * on the main port, behind an API key when keys are on. @defaultValue none
   */
  metricsPort?: number;
  /** The interface of the metrics port. @defaultValue `'127.0.0.1'` */
  metricsHost?: string;
  /** Most concurrent record streams of one API key (or one address, without keys). @defaultValue 1024 */
  maxStreamsPerKey?: number;
  /** How long a record stream may stay open without its hello. @defaultValue 10000 */
  helloTimeoutMs?: number;
  /** How long `close()` waits for streams to drain before forcing them shut. @defaultValue 5000 */
  shutdownTimeoutMs?: number;
  /**
   * A running run whose last heartbeat is older than this becomes `crashed`
   * (`preempted` when it was preempting). @defaultValue 45 (with 15 s heartbeats and a 10 s sweep, a dead rank is marked within 60 s)
   */
  heartbeatTimeoutSeconds?: number;
  /**
   * How often the heartbeat sweeper runs: on an unref'd timer (embedded), or
   * as one BullMQ job scheduler shared by every coordinator (scaled). 0
   * turns it off. @defaultValue 10000
   */
  sweepIntervalMs?: number;
  /**
   * How often groups are checked for stragglers and stalls; 0 turns the checks off.
   * @defaultValue 15000
   */
  groupCheckIntervalMs?: number;
  /**
   * Scaled mode: how often small history chunks are compacted (once across
   * coordinators; workers write each batch's cells as new chunks). 0 turns
   * it off. Embedded mode has nothing to compact. @defaultValue 10000
   */
  compactionIntervalMs?: number;
  /** Straggler and stall thresholds of the group checks. @defaultValue the engine's */
  groupChecks?: GroupCheckOptions;
  /**
   * Scaled mode: record batches are queued on BullMQ (Redis) for `cohort
   * worker`s to apply, and runs are opened and read in PostgreSQL. Absent:
   * embedded mode (SQLite, applied in process). docs/scaled-mode.md.
   */
  scaled?: ScaledModeOptions;
  /**
   * The dashboard's built files (`@cohort/web`'s `dist/`), served with a single-page
   * fallback for every non-API path. `null`: the minimal server-rendered pages.
   * @defaultValue `COHORT_WEB_DIR`, else the installed `@cohort/web`'s `dist/` when built, else `null` (logged)
   */
  webDir?: string | null;
}

/** Options of the scaled mode ({@link CoordinatorOptions.scaled}). */
export interface ScaledModeOptions {
  /** `redis://host:port` of the queues. */
  redisUrl: string;
  /** `postgres://user:pass@host:port/db` of the store; not needed when `engine` is given. */
  postgresUrl?: string;
  /** The PostgreSQL schema of the tables. @defaultValue the connection's search_path */
  postgresSchema?: string;
  /** The Redis key prefix of the queues (one deployment per prefix). @defaultValue `'cohort'` */
  prefix?: string;
  /** Jobs waiting in the batch queue above which new batches wait (back-pressure). @defaultValue 512 */
  maxQueueDepth?: number;
  /** How long a batch waits for the queue to fall below its bound before RESOURCE_EXHAUSTED. @defaultValue 30000 */
  backpressureTimeoutMs?: number;
  /** How long to wait for a queued batch's job to finish before the stream ends UNAVAILABLE. @defaultValue 120000 */
  jobTimeoutMs?: number;
  /** Attempts of a batch job whose failures are retryable. @defaultValue 30 */
  jobAttempts?: number;
  /** How often the queue depth is read. @defaultValue 200 */
  depthPollMs?: number;
  /** How often the jobs awaited are looked up, so that one Redis lost is noticed. @defaultValue 5000 */
  lostJobCheckMs?: number;
  /**
   * Most batches of a run, waiting together in this coordinator, merged into
   * one job (contiguous seqs of one writer; at most 4 MiB and the limits'
   * `maxRecordsPerBatch`). A run that falls behind catches up in fewer jobs.
   * 1 turns merging off. @defaultValue 16
   */
  coalesceBatches?: number;
  /**
   * Milliseconds a batch waits for batches of other runs to share its job
   * (one job per batch would bound the deployment by BullMQ's jobs/s).
   * @defaultValue 5
   */
  gatherMs?: number;
  /**
   * Most batches (of different runs) in one job, at most 256. Small enough
   * that the runs released together by one completed job spread over several
   * jobs, and so over the workers. @defaultValue 16
   */
  maxJobBatches?: number;
}

interface ResolvedScaledModeOptions {
  redisUrl: string;
  postgresUrl: string | undefined;
  postgresSchema: string | undefined;
  prefix: string;
  maxQueueDepth: number;
  backpressureTimeoutMs: number;
  jobTimeoutMs: number;
  jobAttempts: number;
  depthPollMs: number;
  lostJobCheckMs: number;
  coalesceBatches: number;
  gatherMs: number;
  maxJobBatches: number;
}

/** The most record bytes merged into one queued job (4/3 of it in Redis, as base64). */
const MAX_JOB_BYTES = 4 * 1024 * 1024;

interface ResolvedCoordinatorOptions {
  dataDir: string;
  grpcHost: string;
  grpcPort: number;
  httpHost: string;
  httpPort: number;
  advertiseHost: string | undefined;
  defaultEntity: string;
  logger: Logger;
  limits: Readonly<Limits>;
  maxQueuedBatchesPerRun: number;
  maxQueuedBytesPerRun: number;
  maxStreams: number;
  maxStreamsPerKey: number;
  helloTimeoutMs: number;
  metricsPort: number | undefined;
  shutdownTimeoutMs: number;
  heartbeatTimeoutSeconds: number;
  sweepIntervalMs: number;
  groupCheckIntervalMs: number;
  compactionIntervalMs: number;
  groupChecks: GroupCheckOptions;
  scaled: ResolvedScaledModeOptions | undefined;
}

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

function resolveOptions(options: CoordinatorOptions): ResolvedCoordinatorOptions {
  const port = (name: string, value: number | undefined, fallback: number) => {
    const v = value ?? fallback;
    if (!Number.isInteger(v) || v < 0 || v > 65535) throw new TypeError(`Expected \`${name}\` to be an integer from 0 to 65535, got \`${String(v)}\` (${typeof v})`);
    return v;
  };
  const positive = (name: string, value: number | undefined, fallback: number) => {
    const v = value ?? fallback;
    if (!Number.isInteger(v) || v < 1) throw new TypeError(`Expected \`${name}\` to be an integer from 1 and up, got \`${String(v)}\` (${typeof v})`);
    return v;
  };
  const atMost = (name: string, v: number, most: number) => {
    if (v > most) throw new TypeError(`Expected \`${name}\` to be an integer from 1 to ${most}, got \`${v}\` (number)`);
    return v;
  };
  const grpcHost = options.grpcHost ?? '127.0.0.1';
  const scaled = options.scaled;
  let resolvedScaled: ResolvedScaledModeOptions | undefined;
  if (scaled !== undefined) {
    if (!/^rediss?:\/\//.test(scaled.redisUrl)) throw new TypeError(`Expected \`scaled.redisUrl\` to be a redis:// URL, got \`${redactUrl(String(scaled.redisUrl))}\``);
    if (scaled.postgresUrl === undefined && options.engine === undefined) throw new TypeError('Expected `scaled.postgresUrl` (a postgres:// URL) or `engine`, got neither');
    if (scaled.postgresUrl !== undefined && !/^postgres(ql)?:\/\//.test(scaled.postgresUrl)) {
      throw new TypeError(`Expected \`scaled.postgresUrl\` to be a postgres:// URL, got \`${redactUrl(scaled.postgresUrl)}\``);
    }
    const prefix = scaled.prefix ?? 'cohort';
    if (!/^[A-Za-z0-9_.{}-]{1,64}$/.test(prefix)) throw new TypeError(`Expected \`scaled.prefix\` to be 1 to 64 letters, digits, _ . - { }, got \`${prefix}\``);
    resolvedScaled = {
      redisUrl: scaled.redisUrl,
      postgresUrl: scaled.postgresUrl,
      postgresSchema: scaled.postgresSchema,
      prefix,
      maxQueueDepth: positive('scaled.maxQueueDepth', scaled.maxQueueDepth, 512),
      backpressureTimeoutMs: positive('scaled.backpressureTimeoutMs', scaled.backpressureTimeoutMs, 30_000),
      jobTimeoutMs: positive('scaled.jobTimeoutMs', scaled.jobTimeoutMs, 120_000),
      jobAttempts: positive('scaled.jobAttempts', scaled.jobAttempts, 30),
      depthPollMs: positive('scaled.depthPollMs', scaled.depthPollMs, 200),
      lostJobCheckMs: positive('scaled.lostJobCheckMs', scaled.lostJobCheckMs, 5000),
      coalesceBatches: positive('scaled.coalesceBatches', scaled.coalesceBatches, 16),
      gatherMs: positive('scaled.gatherMs', scaled.gatherMs, 5),
      maxJobBatches: atMost('scaled.maxJobBatches', positive('scaled.maxJobBatches', scaled.maxJobBatches, 16), MAX_JOB_BATCHES),
    };
  }
  const groupCheckIntervalMs = options.groupCheckIntervalMs ?? 15_000;
  if (!Number.isInteger(groupCheckIntervalMs) || groupCheckIntervalMs < 0) {
    throw new TypeError(`Expected \`groupCheckIntervalMs\` to be an integer from 0 and up, got \`${String(groupCheckIntervalMs)}\` (${typeof groupCheckIntervalMs})`);
  }
  const compactionIntervalMs = options.compactionIntervalMs ?? 10_000;
  if (!Number.isInteger(compactionIntervalMs) || compactionIntervalMs < 0) {
    throw new TypeError(`Expected \`compactionIntervalMs\` to be an integer from 0 and up, got \`${String(compactionIntervalMs)}\` (${typeof compactionIntervalMs})`);
  }
  const sweepIntervalMs = options.sweepIntervalMs ?? 10_000;
  if (!Number.isInteger(sweepIntervalMs) || sweepIntervalMs < 0) {
    throw new TypeError(`Expected \`sweepIntervalMs\` to be an integer from 0 and up, got \`${String(sweepIntervalMs)}\` (${typeof sweepIntervalMs})`);
  }
  return {
    dataDir: options.dataDir ?? ':memory:',
    grpcHost,
    grpcPort: port('grpcPort', options.grpcPort, 7711),
    httpHost: options.httpHost ?? grpcHost,
    httpPort: port('httpPort', options.httpPort, 7712),
    advertiseHost: options.advertiseHost,
    defaultEntity: options.engine?.defaultEntity ?? options.defaultEntity ?? 'local',
    logger: options.logger ?? pino({ level: 'silent' }),
    limits: resolveLimits(options.limits),
    maxQueuedBatchesPerRun: positive('maxQueuedBatchesPerRun', options.maxQueuedBatchesPerRun, 16),
    maxQueuedBytesPerRun: positive('maxQueuedBytesPerRun', options.maxQueuedBytesPerRun, 64 * 1024 * 1024),
    maxStreams: positive('maxStreams', options.maxStreams, 4096),
    maxStreamsPerKey: positive('maxStreamsPerKey', options.maxStreamsPerKey, 1024),
    helloTimeoutMs: positive('helloTimeoutMs', options.helloTimeoutMs, 10_000),
    metricsPort: options.metricsPort === undefined ? undefined : port('metricsPort', options.metricsPort, 0),
    shutdownTimeoutMs: positive('shutdownTimeoutMs', options.shutdownTimeoutMs, 5000),
    heartbeatTimeoutSeconds: positive('heartbeatTimeoutSeconds', options.heartbeatTimeoutSeconds, 45),
    sweepIntervalMs,
    groupCheckIntervalMs,
    compactionIntervalMs,
    groupChecks: options.groupChecks ?? {},
    scaled: resolvedScaled,
  };
}

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

function listenHttp(server: HttpServer, host: string, port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(new CohortError('UNAVAILABLE', `cannot serve HTTP on ${formatHostPort(host, port)}: ${err.code ?? err.message}`, { cause: err }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolvePort((server.address() as AddressInfo).port);
    });
  });
}

/** Resolves after `ms` (unref'd), or never rejects. */
function delay(ms: number): Promise<'timeout'> {
  return new Promise((r) => setTimeout(() => r('timeout'), ms).unref());
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
 * @example
 * await using coordinator = await startCoordinator({ dataDir: './cohort-data', grpcPort: 0, httpPort: 0 });
 * console.log(coordinator.grpcAddress, coordinator.httpUrl);
 * await using scaled = await startCoordinator({ scaled: { redisUrl: 'redis://redis:6379', postgresUrl: 'postgres://cohort@db/cohort' } });
 */
export async function startCoordinator(options: CoordinatorOptions = {}): Promise<Coordinator> {
  const opts = resolveOptions(options);
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
  let engine: Engine | undefined;
  let producer: BatchProducer | undefined;
  let housekeeping: ScheduledTasks | undefined;
  let assets: Assets | undefined;
  let access: Access | undefined;
  const releaseEarly = async () => {
    await assets?.close().catch(() => undefined);
    await housekeeping?.close().catch(() => undefined);
    await producer?.close().catch(() => undefined);
    if (ownsEngine) await engine?.close().catch(() => undefined);
  };

  const engineOptions: EngineOptions = {
    defaultEntity: opts.defaultEntity,
    maxRunsPerProject: opts.limits.maxRunsPerProject,
    maxKeysPerRun: opts.limits.maxKeysPerRun,
    maxSummaryBytes: opts.limits.maxSummaryBytes,
  };
  try {
    if (options.engine) engine = options.engine;
    else if (scaled) engine = new Engine(await openPostgresStore(scaled.postgresUrl!, { ...(scaled.postgresSchema !== undefined && { schema: scaled.postgresSchema }) }), engineOptions);
    else engine = openEngine(opts.dataDir, engineOptions);
    const served = engine;
    access = new Access({
      mode: auth.mode,
      identity: served.store.identity,
      defaultEntity: opts.defaultEntity,
      rateLimit: auth.rateLimit,
      ...(auth.keyCacheTtlMs !== undefined && { keyCacheTtlMs: auth.keyCacheTtlMs }),
    });
    assets = await openAssets({ ...options, engine: served, dataDir: opts.dataDir, log: opts.logger, access, maxFileBytes: opts.limits.maxFileBytes, runUrl: (run) => runUrl(info.httpUrl, run) });
    if (scaled) {
      producer = await BatchProducer.open({
        redisUrl: scaled.redisUrl,
        prefix: scaled.prefix,
        maxQueueDepth: scaled.maxQueueDepth,
        backpressureTimeoutMs: scaled.backpressureTimeoutMs,
        jobTimeoutMs: scaled.jobTimeoutMs,
        jobAttempts: scaled.jobAttempts,
        depthPollMs: scaled.depthPollMs,
        lostJobCheckMs: scaled.lostJobCheckMs,
        gatherMs: scaled.gatherMs,
        maxJobBatches: scaled.maxJobBatches,
        maxJobBytes: MAX_JOB_BYTES,
        appliedSeq: (writer) => served.appliedSeq(writer),
        log: opts.logger.child({ component: 'batch-producer' }),
        onBackpressure: () => metrics.backpressureWaits.inc(),
      });
    }
    // Housekeeping: on timers here (embedded), or once across coordinators (scaled).
    const tasks: ScheduledTask[] = [];
    if (opts.sweepIntervalMs > 0) {
      tasks.push(
        heartbeatSweeperTask({
          engine: served,
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
      tasks.push(
        groupChecksTask({
          engine: served,
          intervalMs: opts.groupCheckIntervalMs,
          thresholds: opts.groupChecks,
          log: opts.logger.child({ component: 'group-checks' }),
        }),
      );
    }
    if (scaled && opts.compactionIntervalMs > 0) {
      tasks.push(
        historyCompactionTask({
          engine: served,
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
    if (tasks.length > 0) {
      const taskLog = opts.logger.child({ component: 'housekeeping' });
      housekeeping = scaled ? await startSharedTasks(tasks, { redisUrl: scaled.redisUrl, prefix: scaled.prefix, log: taskLog }) : startLocalTasks(tasks, taskLog);
    }
  } catch (err) {
    await releaseEarly();
    throw err;
  }
  const served = engine;

  const applyInProcess: ApplyBatch = async (run, records) => {
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
  const queued = producer;
  const applyQueued: ApplyBatch | undefined = queued
    ? async (run, records, raw) => {
        const start = performance.now();
        const result = await queued.apply(run, records, raw);
        metrics.applySeconds.observe({ mode: 'scaled' }, (performance.now() - start) / 1000);
        return result;
      }
    : undefined;
  const queues = new ApplyQueues(
    applyQueued ?? applyInProcess,
    {
      maxQueuedBatches: opts.maxQueuedBatchesPerRun,
      maxQueuedBytes: opts.maxQueuedBytesPerRun,
      ...(scaled && { coalesceBatches: scaled.coalesceBatches, coalesceBytes: MAX_JOB_BYTES, coalesceRecords: opts.limits.maxRecordsPerBatch }),
    },
    metrics.applyObserver(),
  );
  const grpcService = createGrpcService({
    engine: served,
    queues,
    limits: opts.limits,
    log: opts.logger.child({ component: 'grpc' }),
    access: access!,
    slots: new StreamSlots('record streams', opts.maxStreams, opts.maxStreamsPerKey),
    helloTimeoutMs: opts.helloTimeoutMs,
    info: () => info,
    accepting: () => state === 'running',
  });

  const openedAssets = assets!;
  openedAssets.addTo(grpcService.server);
  metrics.gauge('cohort_record_streams', 'Live record streams.', () => grpcService.streams.size);
  metrics.gauge('cohort_run_queue_batches', 'Batches waiting in the per-run queues of this coordinator.', () => queues.totals().batches);
  metrics.gauge('cohort_run_queue_bytes', 'Bytes of the batches waiting in the per-run queues of this coordinator.', () => queues.totals().bytes);
  const checks: ReadinessCheck[] = [];
  if (queued) {
    metrics.labelledGauge('cohort_queue_jobs', 'Jobs in the batch queue, by state (scaled mode).', ['queue', 'state'], async () =>
      Object.entries(await queued.jobCounts()).map(([jobState, n]) => [{ queue: BATCH_QUEUE, state: jobState }, n]),
    );
    metrics.labelledGauge('cohort_queue_lag_seconds', 'Seconds the oldest waiting job of the batch queue has waited (scaled mode).', ['queue'], async () => [
      [{ queue: BATCH_QUEUE }, await queued.lagSeconds()],
    ]);
    metrics.gauge('cohort_backpressure_held_batches', 'Batches held back now because the batch queue is over its bound.', () => queued.held);
    checks.push({ name: 'redis', check: () => queued.ping() });
  }
  const store = served.store;
  if (store instanceof PostgresStore) checks.push({ name: 'postgres', check: () => store.pool.query('SELECT 1') });

  const ops = createOpsRoutes({ registry: metrics.registry, live: () => state === 'running', checks });
  const streams = new RunStreams({ engine: served });
  const api = createHttpHandler({
    engine: served,
    log: opts.logger.child({ component: 'http' }),
    defaultEntity: opts.defaultEntity,
    info: () => info,
    streams,
    access: access!,
    secure: auth.tls !== undefined,
    assets: openedAssets.routes,
    ...(web.dir !== null && { web: createWebAssets(web.dir) }),
  });
  const gate = createMetricsGate({ ops, access: access!, separate: opts.metricsPort !== undefined });
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    if (!gate(req, res)) api(req, res);
  };
  const metricsServer =
    opts.metricsPort === undefined
      ? undefined
      : createHttpServer((req, res) => {
          if (!ops(req, res)) {
            res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
            res.end('the metrics port serves /metrics, /healthz and /readyz\n');
          }
        });
  let metricsUrl: string | undefined;
  const httpServer: HttpServer = auth.tls ? createHttpsServer({ cert: auth.tls.cert, key: auth.tls.key }, onRequest) : createHttpServer(onRequest);
  httpServer.requestTimeout = 30_000;
  httpServer.headersTimeout = 10_000;
  httpServer.keepAliveTimeout = 5_000;

  try {
    const grpcPort = await bindGrpc(grpcService.server, opts.grpcHost, opts.grpcPort, auth.tls);
    const httpPort = await listenHttp(httpServer, opts.httpHost, opts.httpPort);
    if (metricsServer) {
      const metricsHost = options.metricsHost ?? '127.0.0.1';
      metricsUrl = `http://${formatHostPort(metricsHost, await listenHttp(metricsServer, metricsHost, opts.metricsPort!))}`;
    }
    info = {
      ...info,
      grpcAddress: formatHostPort(advertised(opts.grpcHost, opts.advertiseHost), grpcPort),
      httpUrl: `${auth.tls ? 'https' : 'http'}://${formatHostPort(advertised(opts.httpHost, opts.advertiseHost), httpPort)}`,
    };
  } catch (err) {
    grpcService.server.forceShutdown();
    if (httpServer.listening) httpServer.close();
    if (metricsServer?.listening) metricsServer.close();
    await releaseEarly();
    throw err;
  }
  openedAssets.start();
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
      const deadline = delay(opts.shutdownTimeoutMs);
      const errors: unknown[] = [];
      const step = async (name: string, run: () => Promise<unknown>) => {
        try {
          await run();
        } catch (err) {
          log.warn({ err, step: name }, 'close step failed');
          errors.push(err);
        }
      };
      // 1. Live streams: pending batches are acked, then UNAVAILABLE so clients reconnect elsewhere.
      await step('streams', () => Promise.race([Promise.allSettled([...grpcService.streams].map((s) => s.shutdown())), deadline]));
      // 2. gRPC: a graceful shutdown bounded by the deadline, then forced.
      await step('grpc', async () => {
        const graceful = new Promise<void>((r) => grpcService.server.tryShutdown(() => r()));
        if ((await Promise.race([graceful, deadline])) === 'timeout') grpcService.server.forceShutdown();
      });
      // 3. HTTP: stop listening, drop idle keep-alive sockets, force the rest at the deadline.
      await step('http', async () => {
        const closed = new Promise<void>((r) => httpServer.close(() => r()));
        streams.close();
        httpServer.closeIdleConnections();
        if ((await Promise.race([closed, deadline])) === 'timeout') httpServer.closeAllConnections();
        await closed;
        if (metricsServer) {
          metricsServer.closeAllConnections();
          await new Promise<void>((r) => metricsServer.close(() => r()));
        }
      });
      // 4. Batches already queued finish before the store closes.
      await step('queues', () => Promise.race([queues.drain(), deadline]));
      // 5. Housekeeping, then the queue connections, then the store.
      if (housekeeping) await step('housekeeping', () => housekeeping.close());
      await step('assets', () => openedAssets.close());
      if (producer) await step('producer', () => producer.close());
      if (ownsEngine) await step('engine', () => served.close());
      state = 'closed';
      log.info('coordinator closed');
      if (errors.length > 0) throw new AggregateError(errors, 'coordinator: close failed');
    })();
    return closing;
  };

  return {
    grpcAddress: info.grpcAddress,
    httpUrl: info.httpUrl,
    metricsUrl,
    engine: served,
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
