import { CohortError } from '@cohort/protocol';
import { CliUsageError } from './args.js';
import type { CliContext } from './cli-context.js';
import { usage } from './usage.js';

type Command = (argv: readonly string[], ctx: CliContext) => Promise<number>;

/**
 * The commands, each loaded when it runs: the Python client starts `cohort agent` once per
 * run, and it should not pay for the server's modules (SQLite, Postgres, BullMQ, the AWS SDK).
 * A command returns -1 when it was asked for its help.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = Object.freeze({
  server: async () => (await import('./commands/server.js')).serverCommand,
  worker: async () => (await import('./commands/worker.js')).workerCommand,
  demo: async () => (await import('./commands/demo.js')).demoCommand,
  sync: async () => (await import('./commands/sync.js')).syncCommand,
  runs: async () => (await import('./commands/runs.js')).runsCommand,
  k8s: async () => (await import('./commands/k8s.js')).k8sCommand,
  keys: async () => (await import('./commands/keys.js')).keysCommand,
  gc: async () => (await import('./commands/gc.js')).gcCommand,
  agent: async () => (await import('./commands/agent.js')).agentCommand,
  sweep: async () => (await import('./commands/sweep.js')).sweepCommand,
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
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    ctx.stderr.write(`cohort: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  try {
    const command = await load();
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
