import { OptionsError } from '@cohort/coordinator';
import { CliUsageError } from './args.js';

/**
 * A flag's text as an option value: a number when it reads as one, else the
 * text itself, which the options schema then refuses by name
 * (``Expected `grpcPort` to be an integer from 0 to 65535, got `x` (string)``).
 */
export function flagValue(text: string | undefined): number | string | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

/**
 * Checks the options built from flags with the server's own parser (the
 * same schema the API checks them with), before anything starts. A broken
 * rule is a usage error naming the flag, then the API's own words:
 * ``--grpc-port: Expected `grpcPort` to be an integer from 0 to 65535, got `70000` (number)``.
 * `flags` maps an option path (`scaled.redisUrl`) to its flag (`--redis`).
 */
export function checkOptions<O>(command: string, options: O, parse: (options: O) => unknown, flags: Readonly<Record<string, string>>): O {
  try {
    parse(options);
  } catch (err) {
    // One class: @cohort/worker re-exports @cohort/ops's OptionsError as @cohort/coordinator does.
    if (!(err instanceof OptionsError)) throw err;
    throw new CliUsageError(`${flags[err.path] ?? err.path}: ${err.message}`, command);
  }
  return options;
}

/** `values` without its undefined entries, so that optional options stay absent (`exactOptionalPropertyTypes`). */
export function defined<T extends Record<string, unknown>>(values: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
