import type { Logger } from 'pino';

/** What a command may touch: given by `main.ts`, replaced in tests. */
export interface CliContext {
  /** Where results go (the ready line, tables, URLs). */
  readonly stdout: { write(text: string): unknown };
  /** Where messages for the user go (errors, hints). Logs go through `logger`. */
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The process's root logger (stderr). */
  readonly logger: Logger;
  /** Aborted when the process is asked to stop (SIGINT, SIGTERM). */
  readonly signal: AbortSignal;
  /** The folder relative paths are resolved against. */
  readonly cwd: string;
}

/** The server a command talks to when neither --url nor COHORT_URL is given. */
export const DEFAULT_URL = 'http://127.0.0.1:7712';

/** The server URL of a command: the flag, else COHORT_URL, else the default. */
export function serverUrl(ctx: CliContext, flag: string | undefined): string {
  return (flag ?? ctx.env['COHORT_URL'] ?? DEFAULT_URL).replace(/\/+$/, '');
}
