import { z } from 'zod';
import { DEFAULT_QUEUE_PREFIX, MAX_JOB_BATCHES } from '@cohort/protocol';
import { host, int, interval, millis, port, positive, postgresUrl, queuePrefix, redisUrl, text } from './option-rules.js';
import { MAX_QUEUE_SHARDS } from './queue-shards.js';

/**
 * The one schema of the server processes' options: `startCoordinator`'s,
 * `startWorker`'s, and so `cohort server`'s and `cohort worker`'s flags,
 * which are checked against it too. Output fields carry their defaults.
 * Fields holding objects (an engine, a logger, a store, limits) are left
 * out of the output (their own constructors check them); `engine` and
 * `store` are read only to know whether a PostgreSQL URL is needed. The TSDoc of each
 * field is on `CoordinatorOptions` and `WorkerOptions`.
 */

/** The queue connection, shared by a coordinator's `scaled` options and a worker. */
const queueShape = {
  redisUrl,
  postgresUrl: postgresUrl.optional(),
  postgresSchema: text(63).optional(),
  prefix: queuePrefix.default(DEFAULT_QUEUE_PREFIX),
  queueShards: int(1, MAX_QUEUE_SHARDS).default(1),
};

/** `CoordinatorOptions.scaled`. */
export const scaledModeOptionsSchema = z.object({
  ...queueShape,
  maxQueueDepth: int(1, 10_000_000).default(512),
  backpressureTimeoutMs: millis.default(30_000),
  jobTimeoutMs: millis.default(120_000),
  jobAttempts: int(1, 1000).default(30),
  depthPollMs: int(1, 60_000).default(200),
  lostJobCheckMs: int(10, 3_600_000).default(5000),
  coalesceBatches: int(1, 1024).default(16),
  gatherMs: int(1, 60_000).default(5),
  maxJobBatches: int(1, MAX_JOB_BATCHES).default(16),
});

/** `CoordinatorOptions` (`startCoordinator`, `cohort server`). */
export const coordinatorOptionsSchema = z
  .object({
    engine: z.unknown().optional(),
    dataDir: text(4096).default(':memory:'),
    grpcHost: host.default('127.0.0.1'),
    grpcPort: port.default(7711),
    httpHost: host.optional(),
    httpPort: port.default(7712),
    advertiseHost: host.optional(),
    defaultEntity: text(128).optional(),
    maxQueuedBatchesPerRun: int(1, 1_000_000).default(16),
    maxQueuedBytesPerRun: int(1, 2 ** 40).default(64 * 1024 * 1024),
    maxStreams: int(1, 1_000_000).default(4096),
    maxStreamsPerKey: int(1, 1_000_000).default(1024),
    metricsPort: port.optional(),
    metricsHost: host.default('127.0.0.1'),
    helloTimeoutMs: millis.default(10_000),
    shutdownTimeoutMs: millis.default(5000),
    heartbeatTimeoutSeconds: int(1, 86_400).default(45),
    sweepIntervalMs: interval.default(10_000),
    groupCheckIntervalMs: interval.default(15_000),
    compactionIntervalMs: interval.default(10_000),
    scaled: scaledModeOptionsSchema.optional(),
    auth: z.enum(['keys', 'none'], { error: 'one of keys, none' }).optional(),
    rateLimit: z
      .union([z.literal(false), z.object({ requestsPerSecond: positive(1_000_000).optional(), burst: int(1, 1_000_000).optional() })], { error: 'false or { requestsPerSecond, burst }' })
      .optional(),
    keyCacheTtlMs: millis.optional(),
    blobDir: text(4096).optional(),
    blobStore: z.string({ error: 'an s3://bucket[/prefix] URL' }).regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/\S*)?$/, { error: 'an s3://bucket[/prefix] URL' }).optional(),
    s3Endpoint: z.string({ error: 'an http:// or https:// URL' }).regex(/^https?:\/\/[^\s/]+\S*$/, { error: 'an http:// or https:// URL' }).optional(),
    s3Region: text(64).optional(),
    s3ForcePathStyle: z.boolean({ error: 'true or false' }).optional(),
    /** Seconds a presigned download URL works; 0 streams through the coordinator. SigV4 allows at most 7 days. */
    blobRedirectSeconds: int(0, 604_800).default(0),
    blobGcIntervalMs: interval.default(3_600_000),
    /** Up to a year. */
    blobGcGraceMs: int(0, 31_536_000_000).default(86_400_000),
    webDir: text(4096).nullable().optional(),
  })
  .superRefine((o, ctx) => {
    if (o.scaled !== undefined && o.scaled.postgresUrl === undefined && o.engine === undefined) {
      ctx.addIssue({ code: 'custom', path: ['scaled', 'postgresUrl'], message: 'a postgres:// URL (or give `engine`)' });
    }
  });

/** `WorkerOptions` (`startWorker`, `cohort worker`). */
export const workerOptionsSchema = z
  .object({
    store: z.unknown().optional(),
    ...queueShape,
    concurrency: int(1, 1024).default(4),
    httpHost: host.default('127.0.0.1'),
    httpPort: port.optional(),
    defaultEntity: text(128).default('local'),
    retryInitialMs: millis.default(100),
    retryMaxMs: millis.default(5000),
    lockDurationMs: int(1000, 3_600_000).default(30_000),
    shutdownTimeoutMs: millis.default(10_000),
  })
  .superRefine((o, ctx) => {
    if (o.postgresUrl === undefined && o.store === undefined) {
      ctx.addIssue({ code: 'custom', path: ['postgresUrl'], message: 'a postgres:// URL (or give `store`)' });
    }
  });

/** {@link coordinatorOptionsSchema}'s checked options, defaults filled in. */
export type CheckedCoordinatorOptions = z.output<typeof coordinatorOptionsSchema>;
/** {@link workerOptionsSchema}'s checked options, defaults filled in. */
export type CheckedWorkerOptions = z.output<typeof workerOptionsSchema>;
