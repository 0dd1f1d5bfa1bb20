import { startWorker } from '@cohort/worker';
import { CliUsageError, intFlag, parseFlags, postgresUrlFlag, readArgs, redisUrlFlag, textFlag } from '../args.js';
import type { CliContext } from '../cli-context.js';
import { takeLimits } from '../limit-flags.js';
import { untilAborted } from '../until-aborted.js';
import { nonEmpty } from './server.js';

/**
 * `cohort worker`: a pool of `--concurrency` appliers of the scaled mode's
 * batch queue until the process is asked to stop, serving `/metrics`,
 * `/healthz` and `/readyz` on `--http-port`. Prints exactly one line on
 * stdout once it works.
 */
export async function workerCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { limits, rest } = takeLimits('worker', argv, ctx.env);
  const { values } = readArgs(
    'worker',
    rest,
    {
      redis: { type: 'string' },
      postgres: { type: 'string' },
      concurrency: { type: 'string' },
      host: { type: 'string' },
      'http-port': { type: 'string' },
      prefix: { type: 'string' },
      'lock-duration-ms': { type: 'string' },
    },
    false,
  );
  if (values.help) return -1;
  const flags = parseFlags(
    'worker',
    {
      redis: values.redis ?? nonEmpty(ctx.env['COHORT_REDIS_URL']),
      postgres: values.postgres ?? nonEmpty(ctx.env['COHORT_POSTGRES_URL']),
      concurrency: values.concurrency,
      host: values.host,
      httpPort: values['http-port'],
      prefix: values.prefix ?? nonEmpty(ctx.env['COHORT_QUEUE_PREFIX']),
      lockDurationMs: values['lock-duration-ms'] ?? nonEmpty(ctx.env['COHORT_LOCK_DURATION_MS']),
    },
    {
      redis: redisUrlFlag.optional(),
      postgres: postgresUrlFlag.optional(),
      concurrency: intFlag(1, 1024).optional(),
      host: textFlag.optional(),
      httpPort: intFlag(0, 65535).optional(),
      prefix: textFlag.optional(),
      lockDurationMs: intFlag(1000, 3_600_000).optional(),
    },
  );
  if (flags.redis === undefined) throw new CliUsageError('--redis: required (or COHORT_REDIS_URL)', 'worker');
  if (flags.postgres === undefined) throw new CliUsageError('--postgres: required (or COHORT_POSTGRES_URL)', 'worker');
  const concurrency = flags.concurrency ?? 4;
  const worker = await startWorker({
    redisUrl: flags.redis,
    postgresUrl: flags.postgres,
    concurrency,
    limits,
    httpHost: flags.host ?? '127.0.0.1',
    httpPort: flags.httpPort ?? 7713,
    ...(flags.prefix !== undefined && { prefix: flags.prefix }),
    ...(flags.lockDurationMs !== undefined && { lockDurationMs: flags.lockDurationMs }),
    logger: ctx.logger,
  });
  try {
    ctx.stdout.write(`cohort worker ready http=${worker.httpUrl ?? ''} concurrency=${concurrency}\n`);
    await untilAborted(ctx.signal);
    ctx.logger.child({ component: 'cli' }).info('stopping');
  } finally {
    await worker.close();
  }
  return 0;
}
