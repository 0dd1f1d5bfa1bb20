import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseCoordinatorOptions, startCoordinator, type CoordinatorOptions } from '@cohort/coordinator';
import { DEFAULT_HEARTBEAT_SECONDS } from '@cohort/sdk';
import { CliUsageError, parseFlags, readArgs, textFlag } from '../args.js';
import type { CliContext } from '../cli-context.js';
import { takeLimits } from '../limit-flags.js';
import { checkOptions, defined, flagValue } from '../option-flags.js';
import { untilAborted } from '../until-aborted.js';

/**
 * `cohort server`: a coordinator until the process is asked to stop.
 * Embedded (SQLite under --data) by default; scaled with `--redis` and
 * `--postgres` (or `COHORT_REDIS_URL` and `COHORT_POSTGRES_URL`): batches go
 * to the BullMQ queue that `cohort worker`s apply. Prints exactly one line on
 * stdout once it serves.
 */
export async function serverCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { limits, rest } = takeLimits('server', argv, ctx.env);
  // A switch: readArgs only knows string flags, so it is taken out here (as `cohort k8s --jobset`).
  const s3ForcePathStyle = rest.includes('--s3-force-path-style') ? true : undefined;
  const { values } = readArgs(
    'server',
    rest.filter((a) => a !== '--s3-force-path-style'),
    {
      data: { type: 'string' },
      host: { type: 'string' },
      'grpc-port': { type: 'string' },
      'http-port': { type: 'string' },
      'advertise-host': { type: 'string' },
      redis: { type: 'string' },
      postgres: { type: 'string' },
      prefix: { type: 'string' },
      'queue-shards': { type: 'string' },
      'max-queue-depth': { type: 'string' },
      'lost-job-check-ms': { type: 'string' },
      'compaction-interval-ms': { type: 'string' },
      'heartbeat-timeout-seconds': { type: 'string' },
      'heartbeat-sweep-interval-ms': { type: 'string' },
      'blob-dir': { type: 'string' },
      'blob-store': { type: 'string' },
      's3-endpoint': { type: 'string' },
      's3-region': { type: 'string' },
      'blob-redirect-seconds': { type: 'string' },
      'blob-gc-interval-ms': { type: 'string' },
      'blob-gc-grace-ms': { type: 'string' },
      'alert-webhook': { type: 'string' },
      'alert-slack': { type: 'string' },
      auth: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'rate-limit': { type: 'string' },
      'rate-burst': { type: 'string' },
      'metrics-port': { type: 'string' },
    },
    false,
  );
  if (values.help) return -1;
  const flags = parseFlags(
    'server',
    {
      tlsCert: values['tls-cert'],
      tlsKey: values['tls-key'],
      alertWebhook: values['alert-webhook'] ?? nonEmpty(ctx.env['COHORT_ALERT_WEBHOOK_URL']),
      alertSlack: values['alert-slack'] ?? nonEmpty(ctx.env['COHORT_ALERT_SLACK_URL']),
    },
    { tlsCert: textFlag.optional(), tlsKey: textFlag.optional(), alertWebhook: textFlag.optional(), alertSlack: textFlag.optional() },
  );
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    throw new CliUsageError(`${flags.tlsCert === undefined ? '--tls-cert' : '--tls-key'}: required with the other; give both --tls-cert and --tls-key (PEM files)`, 'server');
  }
  const redis = values.redis ?? nonEmpty(ctx.env['COHORT_REDIS_URL']);
  const postgres = values.postgres ?? nonEmpty(ctx.env['COHORT_POSTGRES_URL']);
  if ((redis === undefined) !== (postgres === undefined)) {
    const missing = redis === undefined ? '--redis (or COHORT_REDIS_URL)' : '--postgres (or COHORT_POSTGRES_URL)';
    throw new CliUsageError(`${missing}: required in scaled mode; give both --redis and --postgres, or neither for the embedded mode`, 'server');
  }
  const prefix = values.prefix ?? nonEmpty(ctx.env['COHORT_QUEUE_PREFIX']);
  const scaled =
    redis !== undefined && postgres !== undefined
      ? {
          redisUrl: redis,
          postgresUrl: postgres,
          ...defined({
            prefix,
            queueShards: flagValue(values['queue-shards'] ?? nonEmpty(ctx.env['COHORT_QUEUE_SHARDS'])),
            maxQueueDepth: flagValue(values['max-queue-depth']),
            lostJobCheckMs: flagValue(values['lost-job-check-ms'] ?? nonEmpty(ctx.env['COHORT_LOST_JOB_CHECK_MS'])),
          }),
        }
      : undefined;
  const host = values.host ?? '127.0.0.1';
  const dataDir = resolve(ctx.cwd, values.data ?? 'cohort-data');
  const blobDir = values['blob-dir'] ?? nonEmpty(ctx.env['COHORT_BLOB_DIR']);
  const blobStore = values['blob-store'] ?? nonEmpty(ctx.env['COHORT_BLOB_STORE']);
  const rateLimit = defined({ requestsPerSecond: flagValue(values['rate-limit']), burst: flagValue(values['rate-burst']) });
  // Values of the wrong type stay as typed (a string where a number goes): the schema names them.
  const options = checkOptions(
    'server',
    {
      ...(scaled ? { scaled } : { dataDir }),
      grpcHost: host,
      httpHost: host,
      ...defined({
        grpcPort: flagValue(values['grpc-port']),
        httpPort: flagValue(values['http-port']),
        advertiseHost: values['advertise-host'],
        compactionIntervalMs: flagValue(values['compaction-interval-ms'] ?? nonEmpty(ctx.env['COHORT_COMPACTION_INTERVAL_MS'])),
        heartbeatTimeoutSeconds: flagValue(values['heartbeat-timeout-seconds'] ?? nonEmpty(ctx.env['COHORT_HEARTBEAT_TIMEOUT_SECONDS'])),
        sweepIntervalMs: flagValue(values['heartbeat-sweep-interval-ms'] ?? nonEmpty(ctx.env['COHORT_HEARTBEAT_SWEEP_INTERVAL_MS'])),
        // Scaled mode: blobs in a folder every coordinator mounts (docs/artifacts.md).
        blobDir: blobDir !== undefined || (scaled && blobStore === undefined) ? resolve(ctx.cwd, blobDir ?? resolve(dataDir, 'blobs')) : undefined,
        // Or object storage (docs/scaling.md); credentials from the AWS SDK's usual settings.
        blobStore,
        s3Endpoint: values['s3-endpoint'],
        s3Region: values['s3-region'],
        s3ForcePathStyle,
        blobRedirectSeconds: flagValue(values['blob-redirect-seconds']),
        blobGcIntervalMs: flagValue(values['blob-gc-interval-ms'] ?? nonEmpty(ctx.env['COHORT_BLOB_GC_INTERVAL_MS'])),
        blobGcGraceMs: flagValue(values['blob-gc-grace-ms'] ?? nonEmpty(ctx.env['COHORT_BLOB_GC_GRACE_MS'])),
        auth: values.auth ?? nonEmpty(ctx.env['COHORT_AUTH']),
        metricsPort: flagValue(values['metrics-port'] ?? nonEmpty(ctx.env['COHORT_METRICS_PORT'])),
        tls: flags.tlsCert !== undefined && flags.tlsKey !== undefined ? { cert: readPem(ctx, '--tls-cert', flags.tlsCert), key: readPem(ctx, '--tls-key', flags.tlsKey) } : undefined,
        rateLimit: Object.keys(rateLimit).length > 0 ? rateLimit : undefined,
      }),
      alertSinks: [
        ...(flags.alertWebhook !== undefined ? [{ kind: 'webhook' as const, url: flags.alertWebhook }] : []),
        ...(flags.alertSlack !== undefined ? [{ kind: 'slack' as const, url: flags.alertSlack }] : []),
      ],
      limits,
      logger: ctx.logger,
    } as CoordinatorOptions,
    parseCoordinatorOptions,
    SERVER_FLAGS,
  );
  warnOfShortHeartbeatTimeout(ctx, options.heartbeatTimeoutSeconds);
  const coordinator = await startCoordinator(options);
  try {
    const where = scaled ? `mode=scaled prefix=${prefix ?? 'cohort'}` : `data=${dataDir}`;
    ctx.stdout.write(`cohort server ready grpc=${coordinator.grpcAddress} http=${coordinator.httpUrl} ${where}\n`);
    await untilAborted(ctx.signal);
    ctx.logger.child({ component: 'cli' }).info('stopping');
  } finally {
    await coordinator.close();
  }
  return 0;
}

/** The flag of each option `cohort server` sets, for its usage errors. */
const SERVER_FLAGS: Readonly<Record<string, string>> = {
  dataDir: '--data',
  grpcHost: '--host',
  httpHost: '--host',
  grpcPort: '--grpc-port',
  httpPort: '--http-port',
  advertiseHost: '--advertise-host',
  'scaled.redisUrl': '--redis',
  'scaled.postgresUrl': '--postgres',
  'scaled.prefix': '--prefix',
  'scaled.queueShards': '--queue-shards',
  'scaled.maxQueueDepth': '--max-queue-depth',
  'scaled.lostJobCheckMs': '--lost-job-check-ms',
  compactionIntervalMs: '--compaction-interval-ms',
  heartbeatTimeoutSeconds: '--heartbeat-timeout-seconds',
  sweepIntervalMs: '--heartbeat-sweep-interval-ms',
  blobDir: '--blob-dir',
  blobStore: '--blob-store',
  s3Endpoint: '--s3-endpoint',
  s3Region: '--s3-region',
  blobRedirectSeconds: '--blob-redirect-seconds',
  blobGcIntervalMs: '--blob-gc-interval-ms',
  blobGcGraceMs: '--blob-gc-grace-ms',
  auth: '--auth',
  'rateLimit.requestsPerSecond': '--rate-limit',
  'rateLimit.burst': '--rate-burst',
  metricsPort: '--metrics-port',
};

/**
 * A timeout under twice the SDK's default heartbeat period marks live runs
 * that keep the default `heartbeatSeconds` crashed between two heartbeats:
 * allowed (clients may beat faster), but said once at start.
 */
function warnOfShortHeartbeatTimeout(ctx: CliContext, seconds: number | undefined): void {
  if (seconds === undefined || seconds >= 2 * DEFAULT_HEARTBEAT_SECONDS) return;
  ctx.logger
    .child({ component: 'cli' })
    .warn(
      `--heartbeat-timeout-seconds ${seconds} is under twice the SDK's default heartbeat (${DEFAULT_HEARTBEAT_SECONDS} s): runs are marked crashed while alive unless their clients set settings.heartbeatSeconds below ${seconds / 2}`,
    );
}

/** A PEM file given by a flag; a usage error naming the flag when it cannot be read. */
function readPem(ctx: CliContext, flag: string, path: string): Buffer {
  try {
    return readFileSync(resolve(ctx.cwd, path));
  } catch (err) {
    throw new CliUsageError(`${flag}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'server');
  }
}

/** An environment value, or undefined when it is empty. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
