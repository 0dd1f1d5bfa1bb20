import type { ParamValue, SweepConfig } from './config-types.js';

/** W&B's default when a sweep config has no command. */
export const DEFAULT_COMMAND = ['${env}', '${interpreter}', '${program}', '${args}'];

export interface CommandContext {
  params: Record<string, ParamValue>;
  /** What ${interpreter} becomes (default python). */
  interpreter?: string;
  /** What ${env} becomes (default /usr/bin/env; an empty string drops it). */
  env?: string;
}

/**
 * The argv for one trial, with the sweep command's macros expanded as the W&B agent does.
 * Each macro is a whole element of the command:
 *   ${env}                  /usr/bin/env
 *   ${interpreter}          python
 *   ${program}              the config's program
 *   ${args}                 --name=value per parameter
 *   ${args_no_hyphens}      name=value per parameter
 *   ${args_no_boolean_flags} --name for true, nothing for false, --name=value otherwise
 *   ${args_no_equals}       --name value per parameter
 *   ${args_json}            one element: the parameters as a JSON object
 * Top-level parameters become arguments; a nested parameter's value is its JSON object;
 * booleans print as True/False and other values as JSON (strings bare), as the agent does.
 * Empty when the command needs ${program} and the config has none: such a sweep is run by
 * agent functions, and a command-running agent has nothing to run.
 */
export function buildCommand(config: SweepConfig, ctx: CommandContext): string[] {
  const command = config.command ?? DEFAULT_COMMAND;
  // A sweep without a program is run by agent functions (the SDK's agent(id, fn)): no command.
  if (config.program === undefined && command.includes('${program}')) return [];
  const entries = Object.entries(ctx.params);
  const argv: string[] = [];
  for (const item of command) {
    switch (item) {
      case '${env}': {
        const env = ctx.env ?? '/usr/bin/env';
        if (env !== '') argv.push(env);
        break;
      }
      case '${interpreter}':
        argv.push(ctx.interpreter ?? 'python');
        break;
      case '${program}':
        argv.push(config.program!);
        break;
      case '${args}':
        for (const [k, v] of entries) argv.push(`--${k}=${show(v)}`);
        break;
      case '${args_no_hyphens}':
        for (const [k, v] of entries) argv.push(`${k}=${show(v)}`);
        break;
      case '${args_no_boolean_flags}':
        for (const [k, v] of entries) {
          if (v === true) argv.push(`--${k}`);
          else if (v !== false) argv.push(`--${k}=${show(v)}`);
        }
        break;
      case '${args_no_equals}':
        for (const [k, v] of entries) argv.push(`--${k}`, show(v));
        break;
      case '${args_json}':
        argv.push(JSON.stringify(ctx.params));
        break;
      default:
        argv.push(item);
    }
  }
  return argv;
}

function show(value: ParamValue): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null) return 'None';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
