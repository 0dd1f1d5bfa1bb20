import { CohortError } from '@cohort/protocol';
import { CliUsageError } from './args.js';
import type { CliContext } from './cli-context.js';
import { agentCommand } from './commands/agent.js';
import { demoCommand } from './commands/demo.js';
import { gcCommand } from './commands/gc.js';
import { k8sCommand } from './commands/k8s.js';
import { keysCommand } from './commands/keys.js';
import { runsCommand } from './commands/runs.js';
import { serverCommand } from './commands/server.js';
import { sweepCommand } from './commands/sweep.js';
import { syncCommand } from './commands/sync.js';
import { workerCommand } from './commands/worker.js';
import { usage } from './usage.js';

type Command = (argv: readonly string[], ctx: CliContext) => Promise<number>;

/** The commands; a command returns -1 when it was asked for its help. */
const COMMANDS: Readonly<Record<string, Command>> = Object.freeze({
  server: serverCommand,
  worker: workerCommand,
  demo: demoCommand,
  sync: syncCommand,
  runs: runsCommand,
  k8s: k8sCommand,
  keys: keysCommand,
  gc: gcCommand,
  agent: agentCommand,
  sweep: sweepCommand,
});

/**
 * Runs the `cohort` command line and resolves with the exit code: 0 on
 * success, 1 when the work failed, 2 for a command line it cannot understand
 * (the message names the command or flag, then the usage follows).
 *
 * @example
 * const code = await runCli(['runs', '--project', 'mnist'], context);
 */
export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    ctx.stderr.write(`cohort: missing command\n\n${usage()}`);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    ctx.stdout.write(usage(rest[0]));
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    ctx.stderr.write(`cohort: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  try {
    const code = await command(rest, ctx);
    if (code === -1) {
      ctx.stdout.write(usage(name));
      return 0;
    }
    return code;
  } catch (err) {
    if (err instanceof CliUsageError) {
      ctx.stderr.write(`cohort ${name}: ${err.message}\n\n${usage(err.command)}`);
      return 2;
    }
    if (err instanceof CohortError) {
      ctx.stderr.write(`cohort ${name}: ${err.message}\n`);
      return 1;
    }
    ctx.logger.error({ err, command: name }, 'command failed');
    ctx.stderr.write(`cohort ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
