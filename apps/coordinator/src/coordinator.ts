import { mkdirSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino, type Logger } from 'pino';
import { CohortError, resolveLimits, type Limits } from '@cohort/protocol';
import { Engine } from '@cohort/engine';
import { openSqliteStore } from '@cohort/store';
import { ApplyQueues } from './apply-queue.js';
import { createGrpcService } from './grpc-service.js';
import { createHttpHandler } from './http-api.js';
import { coordinatorVersion, formatHostPort, type ServerInfoView } from './server-info.js';

/** Options of {@link startCoordinator}. */
export interface CoordinatorOptions {
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
  /** How long `close()` waits for streams to drain before forcing them shut. @defaultValue 5000 */
  shutdownTimeoutMs?: number;
}

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
  shutdownTimeoutMs: number;
}

/** A running coordinator. */
export interface Coordinator {
  /** `host:port` of the gRPC server. */
  readonly grpcAddress: string;
  /** `http://host:port` of the HTTP API and pages. */
  readonly httpUrl: string;
  /** The engine it serves. */
  readonly engine: Engine;
  /** What it holds right now: live record streams, and batches (and their bytes) waiting to be applied. */
  stats(): CoordinatorStats;
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
  streams: number;
  queuedBatches: number;
  queuedBytes: number;
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
  const grpcHost = options.grpcHost ?? '127.0.0.1';
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
    shutdownTimeoutMs: positive('shutdownTimeoutMs', options.shutdownTimeoutMs, 5000),
  };
}

function advertised(bindHost: string, override: string | undefined): string {
  if (override !== undefined) return override;
  return bindHost === '0.0.0.0' || bindHost === '::' ? hostname() : bindHost;
}

function openEngine(dataDir: string, defaultEntity: string): Engine {
  if (dataDir === ':memory:') return new Engine(openSqliteStore(':memory:'), { defaultEntity });
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  return new Engine(openSqliteStore(join(dir, 'cohort.db')), { defaultEntity });
}

function bindGrpc(server: grpc.Server, host: string, port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.bindAsync(formatHostPort(host, port), grpc.ServerCredentials.createInsecure(), (err, bound) => {
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
 * HTTP JSON API and pages. It touches no process signals; `cohort server`
 * does that.
 *
 * @example
 * await using coordinator = await startCoordinator({ dataDir: './cohort-data', grpcPort: 0, httpPort: 0 });
 * console.log(coordinator.grpcAddress, coordinator.httpUrl);
 */
export async function startCoordinator(options: CoordinatorOptions = {}): Promise<Coordinator> {
  const opts = resolveOptions(options);
  const log = opts.logger.child({ component: 'coordinator' });
  const ownsEngine = options.engine === undefined;
  const engine = options.engine ?? openEngine(opts.dataDir, opts.defaultEntity);

  let state: CoordinatorState = 'running';
  let info: ServerInfoView = { version: coordinatorVersion(), grpcAddress: '', httpUrl: '', defaultEntity: opts.defaultEntity };

  const queues = new ApplyQueues(
    async (run, records) => {
      const result = await engine.applyBatch(run, records);
      if (result.rejected.length > 0) {
        log.info(
          { run: `${run.entity}/${run.project}/${run.runId}`, ...(run.writer !== '' && { writer: run.writer }), rejected: result.rejected.map((r) => ({ seq: r.seq, code: r.error.code, reason: r.error.message })) },
          'records refused by the engine',
        );
      }
      return result;
    },
    { maxQueuedBatches: opts.maxQueuedBatchesPerRun, maxQueuedBytes: opts.maxQueuedBytesPerRun },
  );
  const grpcService = createGrpcService({
    engine,
    queues,
    limits: opts.limits,
    log: opts.logger.child({ component: 'grpc' }),
    defaultEntity: opts.defaultEntity,
    maxStreams: opts.maxStreams,
    info: () => info,
    accepting: () => state === 'running',
  });
  const httpServer = createServer(
    createHttpHandler({ engine, log: opts.logger.child({ component: 'http' }), defaultEntity: opts.defaultEntity, info: () => info }),
  );
  httpServer.requestTimeout = 30_000;
  httpServer.headersTimeout = 10_000;
  httpServer.keepAliveTimeout = 5_000;

  try {
    const grpcPort = await bindGrpc(grpcService.server, opts.grpcHost, opts.grpcPort);
    const httpPort = await listenHttp(httpServer, opts.httpHost, opts.httpPort);
    info = {
      ...info,
      grpcAddress: formatHostPort(advertised(opts.grpcHost, opts.advertiseHost), grpcPort),
      httpUrl: `http://${formatHostPort(advertised(opts.httpHost, opts.advertiseHost), httpPort)}`,
    };
  } catch (err) {
    grpcService.server.forceShutdown();
    if (httpServer.listening) httpServer.close();
    if (ownsEngine) await engine.close().catch(() => undefined);
    throw err;
  }
  log.info({ grpcAddress: info.grpcAddress, httpUrl: info.httpUrl, dataDir: ownsEngine ? opts.dataDir : '(engine given)' }, 'coordinator started');

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
        httpServer.closeIdleConnections();
        if ((await Promise.race([closed, deadline])) === 'timeout') httpServer.closeAllConnections();
        await closed;
      });
      // 4. Batches already queued finish before the store closes.
      await step('queues', () => Promise.race([queues.drain(), deadline]));
      if (ownsEngine) await step('engine', () => engine.close());
      state = 'closed';
      log.info('coordinator closed');
      if (errors.length > 0) throw new AggregateError(errors, 'coordinator: close failed');
    })();
    return closing;
  };

  return {
    grpcAddress: info.grpcAddress,
    httpUrl: info.httpUrl,
    engine,
    stats: () => {
      const totals = queues.totals();
      return { state, streams: grpcService.streams.size, queuedBatches: totals.batches, queuedBytes: totals.bytes };
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
