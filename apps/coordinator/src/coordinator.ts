import { createOpsRoutes, startParts, type Part } from '@cohort/ops';
import type { Engine } from '@cohort/engine';
import { resolveAuthOptions } from './auth/auth-options.js';
import { CoordinatorMetrics } from './coordinator-metrics.js';
import { parseCoordinatorOptions, type CoordinatorOptions } from './coordinator-options.js';
import { assetsPart, enginePart, housekeepingPart, producerPart, queuesPart, type CoordinatorContext, type Served } from './coordinator-parts.js';
import { alertsPart, grpcPart, httpPart, metricsHttpPart } from './coordinator-servers.js';
import { SWEEPER_SCHEDULER_ID } from './heartbeat-sweeper.js';
import { redactUrl } from './scaled/batch-producer.js';
import { coordinatorVersion } from './server-info.js';
import { defaultWebDir } from './web-assets.js';

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

/**
 * Starts a coordinator: the gRPC service the SDK streams records to, and the
 * HTTP JSON API and pages, plus `/metrics`, `/healthz` and `/readyz`. It
 * touches no process signals; `cohort server` does that.
 *
 * Embedded mode (the default) applies batches in process over SQLite. With
 * `scaled` it opens runs and serves reads from PostgreSQL but queues batches
 * on BullMQ for `cohort worker`s, and acks each one once a worker committed it.
 *
 * It is a list of parts (coordinator-parts.ts, coordinator-servers.ts),
 * started in order and stopped in reverse: the store, the queue producer
 * (scaled), blobs and alerts, housekeeping, the per-run queues, the metrics
 * port, HTTP, gRPC, alert delivery. A part that fails to start (a port in
 * use) stops the parts before it.
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
  const metrics = new CoordinatorMetrics();
  let state: CoordinatorState = 'running';
  const checks: CoordinatorContext['checks'] = [];
  const ctx: CoordinatorContext = {
    options,
    opts,
    auth,
    log,
    metrics,
    webDir: web.dir,
    checks,
    ops: createOpsRoutes({ registry: metrics.registry, live: () => state === 'running', checks }),
    info: { version: coordinatorVersion(), grpcAddress: '', httpUrl: '', defaultEntity: opts.defaultEntity },
    accepting: () => state === 'running',
    // Filled in by the parts as they start, in the order of `parts`.
    served: {} as Served,
  };
  const parts: Part[] = [
    enginePart(ctx),
    ...(scaled ? [producerPart(ctx, scaled)] : []),
    assetsPart(ctx),
    housekeepingPart(ctx),
    queuesPart(ctx),
    ...(opts.metricsPort !== undefined ? [metricsHttpPart(ctx, opts.metricsPort)] : []),
    httpPart(ctx),
    grpcPart(ctx),
    alertsPart(ctx),
  ];
  const started = await startParts(parts, { what: 'coordinator', log, shutdownTimeoutMs: opts.shutdownTimeoutMs });
  const { engine, producer, queues, grpc } = ctx.served;
  log.info(
    {
      grpcAddress: ctx.info.grpcAddress,
      httpUrl: ctx.info.httpUrl,
      mode: scaled ? 'scaled' : 'embedded',
      auth: auth.mode,
      tls: auth.tls !== undefined,
      ...(scaled ? { redis: redactUrl(scaled.redisUrl), prefix: scaled.prefix } : { dataDir: options.engine === undefined ? opts.dataDir : '(engine given)' }),
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

  return {
    grpcAddress: ctx.info.grpcAddress,
    httpUrl: ctx.info.httpUrl,
    metricsUrl: ctx.served.metricsUrl,
    engine,
    stats: () => {
      const totals = queues.totals();
      return {
        state,
        mode: scaled ? 'scaled' : 'embedded',
        streams: grpc.streams.size,
        queuedBatches: totals.batches,
        queuedBytes: totals.bytes,
        ...(producer && { queueDepth: producer.depth, heldBatches: producer.held }),
        sweeps: ctx.served.housekeeping?.runs(SWEEPER_SCHEDULER_ID) ?? 0,
      };
    },
    metrics: () => metrics.registry.metrics(),
    close,
    [Symbol.asyncDispose]: close,
  };
}
