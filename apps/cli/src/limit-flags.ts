import { parseLimitOverrides, type Limits } from '@cohort/protocol';
import { CliUsageError } from './args.js';

/**
 * Takes the repeatable `--limit NAME=VALUE` (or `--limit=NAME=VALUE`; a value
 * may list several, comma-separated) out of argv, since the other flags are
 * single-valued, and reads them after `COHORT_LIMITS`. `command` names the
 * command in usage errors.
 */
export function takeLimits(command: string, argv: readonly string[], env: Readonly<Record<string, string | undefined>>): { limits: Partial<Limits>; rest: string[] } {
  const entries = (env['COHORT_LIMITS'] ?? '').split(',');
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === '--limit') {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new CliUsageError('option --limit needs a value (NAME=VALUE)', command);
      entries.push(...value.split(','));
    } else if (arg.startsWith('--limit=')) entries.push(...arg.slice('--limit='.length).split(','));
    else rest.push(arg);
  }
  try {
    return { limits: parseLimitOverrides(entries.map((e) => e.trim()).filter((e) => e !== '')), rest };
  } catch (err) {
    throw new CliUsageError(`--limit: ${(err as Error).message}`, command);
  }
}
