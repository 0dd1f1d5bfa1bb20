import { pino, type Logger } from 'pino';
import { resolveLimits, type Limits } from '@cohort/protocol';
import type { Engine, GroupCheckOptions } from '@cohort/engine';
import { coordinatorOptionsSchema, parseOptions, type CheckedCoordinatorOptions } from '@cohort/ops';
import type { AssetOptions } from './artifacts/assets.js';
import type { AuthOptions } from './auth/auth-options.js';

/** Options of `startCoordinator`. Blobs, artifacts and alert sinks: {@link AssetOptions}; keys, rate limit and TLS: {@link AuthOptions}. */
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
   * (`preempted` when it was preempting); keep it at least twice the
   * clients' `heartbeatSeconds`. `cohort server --heartbeat-timeout-seconds`.
   * @defaultValue 45 (with 15 s heartbeats and a 10 s sweep, a dead rank is marked within 60 s)
   */
  heartbeatTimeoutSeconds?: number;
  /**
   * How often the heartbeat sweeper runs: on an unref'd timer (embedded), or
   * as one BullMQ job scheduler shared by every coordinator (scaled): at
   * least 10; 0 turns it off. `cohort server --heartbeat-sweep-interval-ms`.
   * @defaultValue 10000
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
  /**
   * Shards of the batch queue, 1 to 256: on a Redis Cluster each in its own
   * hash slot, so the queue spreads over the masters; a run's batches all go
   * to one shard. Every coordinator and worker must give the same count (a
   * different one is refused at start). docs/scaling.md. @defaultValue 1
   */
  queueShards?: number;
  /** Jobs waiting in the batch queue (all shards together) above which new batches wait (back-pressure). @defaultValue 512 */
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


/** {@link CoordinatorOptions} checked against `@cohort/ops`'s schema, with every default filled in. */
export type ResolvedCoordinatorOptions = Omit<CheckedCoordinatorOptions, 'httpHost' | 'defaultEntity'> & {
  httpHost: string;
  defaultEntity: string;
  logger: Logger;
  limits: Readonly<Limits>;
  groupChecks: GroupCheckOptions;
};

/**
 * Checks `options` against the one schema of the server options (the same
 * that `cohort server` checks its flags with) and fills in the defaults; a
 * broken rule throws an `OptionsError` naming the field and the rule.
 */
export function parseCoordinatorOptions(options: CoordinatorOptions): ResolvedCoordinatorOptions {
  const checked = parseOptions(coordinatorOptionsSchema, options);
  return {
    ...checked,
    httpHost: checked.httpHost ?? checked.grpcHost,
    defaultEntity: options.engine?.defaultEntity ?? checked.defaultEntity ?? 'local',
    logger: options.logger ?? pino({ level: 'silent' }),
    limits: resolveLimits(options.limits),
    groupChecks: options.groupChecks ?? {},
  };
}
