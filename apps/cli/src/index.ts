/**
 * The `cohort` command line, as a function (the `cohort` binary is `main.ts`).
 *
 * @example
 * import { runCli } from '@cohort/cli';
 * const code = await runCli(['runs'], { stdout: process.stdout, stderr: process.stderr, env: process.env, logger, signal, cwd: process.cwd() });
 */
export { runCli } from './cli.js';
export { CliUsageError } from './args.js';
export { DEFAULT_URL, type CliContext } from './cli-context.js';
export { usage, COMMAND_USAGE } from './usage.js';
export { formatTable } from './table.js';
