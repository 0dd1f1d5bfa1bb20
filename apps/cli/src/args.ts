import { parseArgs, type ParseArgsConfig } from 'node:util';
import { z } from 'zod';

/** A command line that cannot be understood: the CLI prints it with the usage and exits 2. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
  /** The command whose usage to print (`undefined`: the top-level usage). */
  readonly command: string | undefined;
  constructor(message: string, command: string | undefined) {
    super(message);
    this.command = command;
  }
}

/** The flags of a command: all take a string value (`--help` is added). */
type StringOptions = Record<string, { type: 'string'; short?: string }>;

/** What {@link readArgs} returns. */
export interface ReadArgs<O extends StringOptions> {
  values: { [K in keyof O]?: string } & { help?: boolean };
  positionals: string[];
}

/**
 * `parseArgs` (strict) with errors that name the flag: `unknown option --bogus`.
 * Returns raw string values; {@link parseFlags} checks them.
 */
export function readArgs<O extends StringOptions>(command: string, argv: readonly string[], options: O, allowPositionals: boolean): ReadArgs<O> {
  const config: ParseArgsConfig = { args: [...argv], options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals };
  try {
    const { values, positionals } = parseArgs(config);
    return { values: values as ReadArgs<O>['values'], positionals };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const quoted = /'([^']+)'/.exec(e.message)?.[1];
    const flag = quoted?.split(' ')[0];
    switch (e.code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
        throw new CliUsageError(`unknown option ${flag ?? e.message}`, command);
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
        throw new CliUsageError(`option ${flag ?? ''} needs a value`.replace('  ', ' '), command);
      case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
        throw new CliUsageError(`unexpected argument ${JSON.stringify(quoted ?? '')}`, command);
      default:
        throw new CliUsageError(e.message, command);
    }
  }
}

/** A flag holding an integer from `min` to `max`. */
export function intFlag(min: number, max: number) {
  return z.string().transform((text, ctx) => {
    const n = Number(text);
    if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `expected an integer from ${min} to ${max}, got ${JSON.stringify(text)}` });
      return z.NEVER;
    }
    return n;
  });
}

/** A flag holding an http(s) URL. */
export const urlFlag = z.string().refine((text) => /^https?:\/\/[^\s/]+/i.test(text), {
  message: 'expected an http:// or https:// URL',
});

/** A flag holding a postgres:// (or postgresql://) URL. */
export const postgresUrlFlag = z.string().refine((text) => /^postgres(ql)?:\/\/\S+$/i.test(text), {
  message: 'expected a postgres:// URL (postgres://user:password@host:5432/db)',
});

/** A non-empty text flag. */
export const textFlag = z.string().min(1, { message: 'must not be empty' }).max(1024, { message: 'must be at most 1024 characters' });

/**
 * Checks parsed flag values with zod; the error names the flag:
 * `--grpc-port: expected an integer from 0 to 65535, got "x"`.
 */
export function parseFlags<S extends z.ZodRawShape>(command: string, values: Record<string, unknown>, shape: S): z.output<z.ZodObject<S>> {
  const parsed = z.object(shape).safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? '');
    const flag = `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new CliUsageError(`${flag}: ${issue?.message ?? 'invalid'}`, command);
  }
  return parsed.data;
}
