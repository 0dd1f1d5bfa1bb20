import { parseWorkerOptions, startWorker, type WorkerOptions } from '@cohort/worker';
import { CliUsageError, readArgs } from '../args.js';
import type { CliContext } from '../cli-context.js';
import { takeLimits } from '../limit-flags.js';
import { checkOptions, defined, flagValue } from '../option-flags.js';
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
      'queue-shards': { type: 'string' },
      'lock-duration-ms': { type: 'string' },
    },
    false,
  );
  if (values.help) return -1;
  const redisUrl = values.redis ?? nonEmpty(ctx.env['COHORT_REDIS_URL']);
  const postgresUrl = values.postgres ?? nonEmpty(ctx.env['COHORT_POSTGRES_URL']);
  if (redisUrl === undefined) throw new CliUsageError('--redis: required (or COHORT_REDIS_URL)', 'worker');
  if (postgresUrl === undefined) throw new CliUsageError('--postgres: required (or COHORT_POSTGRES_URL)', 'worker');
  // Values of the wrong type stay as typed (a string where a number goes): the schema names them.
  const options = checkOptions(
    'worker',
    {
      redisUrl,
      postgresUrl,
      httpPort: flagValue(values['http-port'] ?? '7713'),
      ...defined({
        concurrency: flagValue(values.concurrency),
        httpHost: values.host,
        prefix: values.prefix ?? nonEmpty(ctx.env['COHORT_QUEUE_PREFIX']),
        queueShards: flagValue(values['queue-shards'] ?? nonEmpty(ctx.env['COHORT_QUEUE_SHARDS'])),
        lockDurationMs: flagValue(values['lock-duration-ms'] ?? nonEmpty(ctx.env['COHORT_LOCK_DURATION_MS'])),
      }),
      limits,
      logger: ctx.logger,
    } as WorkerOptions,
    parseWorkerOptions,
    WORKER_FLAGS,
  );
  const worker = await startWorker(options);
  try {
    ctx.stdout.write(`cohort worker ready http=${worker.httpUrl ?? ''} concurrency=${worker.concurrency}\n`);
    await untilAborted(ctx.signal);
    ctx.logger.child({ component: 'cli' }).info('stopping');
  } finally {
    await worker.close();
  }
  return 0;
}

/** The flag of each option `cohort worker` sets, for its usage errors. */
const WORKER_FLAGS: Readonly<Record<string, string>> = {
  redisUrl: '--redis',
  postgresUrl: '--postgres',
  concurrency: '--concurrency',
  httpHost: '--host',
  httpPort: '--http-port',
  prefix: '--prefix',
  queueShards: '--queue-shards',
  lockDurationMs: '--lock-duration-ms',
};
