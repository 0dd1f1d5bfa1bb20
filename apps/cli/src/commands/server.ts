import { resolve } from 'node:path';
import { startCoordinator } from '@cohort/coordinator';
import { intFlag, parseFlags, readArgs, textFlag } from '../args.js';
import type { CliContext } from '../cli-context.js';

/**
 * `cohort server`: an embedded coordinator until the process is asked to
 * stop. Prints exactly one line on stdout once it serves.
 */
export async function serverCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values } = readArgs(
    'server',
    argv,
    { data: { type: 'string' }, host: { type: 'string' }, 'grpc-port': { type: 'string' }, 'http-port': { type: 'string' } },
    false,
  );
  if (values.help) return -1;
  const flags = parseFlags('server', { data: values.data, host: values.host, grpcPort: values['grpc-port'], httpPort: values['http-port'] }, {
    data: textFlag.optional(),
    host: textFlag.optional(),
    grpcPort: intFlag(0, 65535).optional(),
    httpPort: intFlag(0, 65535).optional(),
  });
  const dataDir = resolve(ctx.cwd, flags.data ?? 'cohort-data');
  const host = flags.host ?? '127.0.0.1';
  const coordinator = await startCoordinator({
    dataDir,
    grpcHost: host,
    httpHost: host,
    grpcPort: flags.grpcPort ?? 7711,
    httpPort: flags.httpPort ?? 7712,
    logger: ctx.logger,
  });
  try {
    ctx.stdout.write(`cohort server ready grpc=${coordinator.grpcAddress} http=${coordinator.httpUrl} data=${dataDir}\n`);
    await new Promise<void>((done) => {
      if (ctx.signal.aborted) done();
      else ctx.signal.addEventListener('abort', () => done(), { once: true });
    });
    ctx.logger.child({ component: 'cli' }).info('stopping');
  } finally {
    await coordinator.close();
  }
  return 0;
}
