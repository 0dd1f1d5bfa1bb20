/**
 * Where the SDK's warnings and errors go. Any object with these four methods
 * fits (a pino or winston logger does). The SDK never writes to `console`
 * itself: only {@link defaultLogger} does, and `settings.silent` replaces it
 * with {@link silentLogger}.
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The default logger: warnings and errors to stderr with a `cohort:` prefix; debug and info dropped. */
export const defaultLogger: Logger = Object.freeze({
  debug(): void {},
  info(): void {},
  warn(message: string): void {
    console.warn(`cohort: warning: ${message}`);
  },
  error(message: string): void {
    console.error(`cohort: error: ${message}`);
  },
});

/** A logger that drops everything. */
export const silentLogger: Logger = Object.freeze({
  debug(): void {},
  info(): void {},
  warn(): void {},
  error(): void {},
});
