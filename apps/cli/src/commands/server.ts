import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { startCoordinator } from '@cohort/coordinator';
import { CliUsageError, intFlag, parseFlags, postgresUrlFlag, readArgs, redisUrlFlag, textFlag } from '../args.js';
import type { CliContext } from '../cli-context.js';
import { takeLimits } from '../limit-flags.js';
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
  const s3ForcePathStyle = rest.includes('--s3-force-path-style');
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
      'max-queue-depth': { type: 'string' },
      'lost-job-check-ms': { type: 'string' },
      'compaction-interval-ms': { type: 'string' },
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
      data: values.data,
      host: values.host,
      grpcPort: values['grpc-port'],
      httpPort: values['http-port'],
      advertiseHost: values['advertise-host'],
      redis: values.redis ?? nonEmpty(ctx.env['COHORT_REDIS_URL']),
      postgres: values.postgres ?? nonEmpty(ctx.env['COHORT_POSTGRES_URL']),
      prefix: values.prefix ?? nonEmpty(ctx.env['COHORT_QUEUE_PREFIX']),
      maxQueueDepth: values['max-queue-depth'],
      lostJobCheckMs: values['lost-job-check-ms'] ?? nonEmpty(ctx.env['COHORT_LOST_JOB_CHECK_MS']),
      compactionIntervalMs: values['compaction-interval-ms'] ?? nonEmpty(ctx.env['COHORT_COMPACTION_INTERVAL_MS']),
      blobDir: values['blob-dir'] ?? nonEmpty(ctx.env['COHORT_BLOB_DIR']),
      blobStore: values['blob-store'] ?? nonEmpty(ctx.env['COHORT_BLOB_STORE']),
      s3Endpoint: values['s3-endpoint'],
      s3Region: values['s3-region'],
      blobRedirectSeconds: values['blob-redirect-seconds'],
      blobGcIntervalMs: values['blob-gc-interval-ms'] ?? nonEmpty(ctx.env['COHORT_BLOB_GC_INTERVAL_MS']),
      blobGcGraceMs: values['blob-gc-grace-ms'] ?? nonEmpty(ctx.env['COHORT_BLOB_GC_GRACE_MS']),
      alertWebhook: values['alert-webhook'] ?? nonEmpty(ctx.env['COHORT_ALERT_WEBHOOK_URL']),
      alertSlack: values['alert-slack'] ?? nonEmpty(ctx.env['COHORT_ALERT_SLACK_URL']),
      auth: values.auth ?? nonEmpty(ctx.env['COHORT_AUTH']),
      tlsCert: values['tls-cert'],
      tlsKey: values['tls-key'],
      rateLimit: values['rate-limit'],
      rateBurst: values['rate-burst'],
      metricsPort: values['metrics-port'] ?? nonEmpty(ctx.env['COHORT_METRICS_PORT']),
    },
    {
      data: textFlag.optional(),
      host: textFlag.optional(),
      grpcPort: intFlag(0, 65535).optional(),
      httpPort: intFlag(0, 65535).optional(),
      advertiseHost: textFlag.optional(),
      redis: redisUrlFlag.optional(),
      postgres: postgresUrlFlag.optional(),
      prefix: textFlag.optional(),
      maxQueueDepth: intFlag(1, 10_000_000).optional(),
      lostJobCheckMs: intFlag(10, 3_600_000).optional(),
      compactionIntervalMs: intFlag(0, 86_400_000).optional(),
      blobDir: textFlag.optional(),
      blobStore: textFlag.optional(),
      s3Endpoint: textFlag.optional(),
      s3Region: textFlag.optional(),
      blobRedirectSeconds: intFlag(0, 604_800).optional(),
      blobGcIntervalMs: intFlag(0, 86_400_000).optional(),
      blobGcGraceMs: intFlag(0, 31_536_000_000).optional(),
      alertWebhook: textFlag.optional(),
      alertSlack: textFlag.optional(),
      auth: z.enum(['keys', 'none'], { message: 'must be keys or none' }).optional(),
      tlsCert: textFlag.optional(),
      tlsKey: textFlag.optional(),
      rateLimit: intFlag(1, 1_000_000).optional(),
      rateBurst: intFlag(1, 1_000_000).optional(),
      metricsPort: intFlag(0, 65535).optional(),
    },
  );
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    throw new CliUsageError(`${flags.tlsCert === undefined ? '--tls-cert' : '--tls-key'}: required with the other; give both --tls-cert and --tls-key (PEM files)`, 'server');
  }
  const tls = flags.tlsCert !== undefined && flags.tlsKey !== undefined ? { cert: readPem(ctx, '--tls-cert', flags.tlsCert), key: readPem(ctx, '--tls-key', flags.tlsKey) } : undefined;
  const rateLimit = flags.rateLimit !== undefined || flags.rateBurst !== undefined
    ? { ...(flags.rateLimit !== undefined && { requestsPerSecond: flags.rateLimit }), ...(flags.rateBurst !== undefined && { burst: flags.rateBurst }) }
    : undefined;
  if ((flags.redis === undefined) !== (flags.postgres === undefined)) {
    const missing = flags.redis === undefined ? '--redis (or COHORT_REDIS_URL)' : '--postgres (or COHORT_POSTGRES_URL)';
    throw new CliUsageError(`${missing}: required in scaled mode; give both --redis and --postgres, or neither for the embedded mode`, 'server');
  }
  const host = flags.host ?? '127.0.0.1';
  const dataDir = resolve(ctx.cwd, flags.data ?? 'cohort-data');
  const scaled =
    flags.redis !== undefined && flags.postgres !== undefined
      ? {
          redisUrl: flags.redis,
          postgresUrl: flags.postgres,
          ...(flags.prefix !== undefined && { prefix: flags.prefix }),
          ...(flags.maxQueueDepth !== undefined && { maxQueueDepth: flags.maxQueueDepth }),
          ...(flags.lostJobCheckMs !== undefined && { lostJobCheckMs: flags.lostJobCheckMs }),
        }
      : undefined;
  const coordinator = await startCoordinator({
    ...(scaled ? { scaled } : { dataDir }),
    grpcHost: host,
    httpHost: host,
    grpcPort: flags.grpcPort ?? 7711,
    httpPort: flags.httpPort ?? 7712,
    ...(flags.advertiseHost !== undefined && { advertiseHost: flags.advertiseHost }),
    ...(flags.compactionIntervalMs !== undefined && { compactionIntervalMs: flags.compactionIntervalMs }),
    // Scaled mode: blobs in a folder every coordinator mounts (docs/artifacts.md).
    ...((flags.blobDir !== undefined || (scaled && flags.blobStore === undefined)) && { blobDir: resolve(ctx.cwd, flags.blobDir ?? resolve(dataDir, 'blobs')) }),
    // Or object storage (docs/scaling.md); credentials from the AWS SDK's usual settings.
    ...(flags.blobStore !== undefined && { blobStore: flags.blobStore }),
    ...(flags.s3Endpoint !== undefined && { s3Endpoint: flags.s3Endpoint }),
    ...(flags.s3Region !== undefined && { s3Region: flags.s3Region }),
    ...(s3ForcePathStyle && { s3ForcePathStyle }),
    ...(flags.blobRedirectSeconds !== undefined && { blobRedirectSeconds: flags.blobRedirectSeconds }),
    ...(flags.blobGcIntervalMs !== undefined && { blobGcIntervalMs: flags.blobGcIntervalMs }),
    ...(flags.blobGcGraceMs !== undefined && { blobGcGraceMs: flags.blobGcGraceMs }),
    alertSinks: [
      ...(flags.alertWebhook !== undefined ? [{ kind: 'webhook' as const, url: flags.alertWebhook }] : []),
      ...(flags.alertSlack !== undefined ? [{ kind: 'slack' as const, url: flags.alertSlack }] : []),
    ],
    limits,
    ...(flags.auth !== undefined && { auth: flags.auth }),
    ...(tls !== undefined && { tls }),
    ...(rateLimit !== undefined && { rateLimit }),
    ...(flags.metricsPort !== undefined && { metricsPort: flags.metricsPort }),
    logger: ctx.logger,
  });
  try {
    const where = scaled ? `mode=scaled prefix=${scaled.prefix ?? 'cohort'}` : `data=${dataDir}`;
    ctx.stdout.write(`cohort server ready grpc=${coordinator.grpcAddress} http=${coordinator.httpUrl} ${where}\n`);
    await untilAborted(ctx.signal);
    ctx.logger.child({ component: 'cli' }).info('stopping');
  } finally {
    await coordinator.close();
  }
  return 0;
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
