/**
 * Stable error codes. They are the gRPC status names, so the coordinator maps
 * them to status codes in one table (`grpc-status.ts`) and the SDK maps them
 * back. docs/errors.md lists each one; a test keeps that list complete.
 */
export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'FAILED_PRECONDITION',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'RESOURCE_EXHAUSTED',
  'UNAVAILABLE',
  'DEADLINE_EXCEEDED',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'DATA_LOSS',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * The base of every error Cohort throws on purpose.
 *
 * @example
 * try { run.log(5 as never); } catch (e) { if (e instanceof CohortError) console.log(e.code); }
 */
export class CohortError extends Error {
  override name = 'CohortError';
  readonly code: ErrorCode;
  /**
   * Set when the refusal is temporary and the caller should try again after
   * this many milliseconds (a rate limit, a server that is full for now).
   * A RESOURCE_EXHAUSTED without it is a limit that waiting does not lift
   * (`maxRunsPerProject`, `maxFileBytes`...): clients do not retry it.
   */
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** The gRPC trailer that carries {@link CohortError.retryAfterMs} from the coordinator to the SDK. */
export const RETRY_AFTER_METADATA = 'cohort-retry-after-ms';

/** A call that is not allowed in the run's current state (W&B's `UsageError`). */
export class UsageError extends CohortError {
  override name = 'UsageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('FAILED_PRECONDITION', message, options);
  }
}

/** A config change that would silently overwrite a value (W&B's `ConfigError`). */
export class ConfigError extends CohortError {
  override name = 'ConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', message, options);
  }
}

/** Shorthand for the most common error: bad input, naming the field and the rule. */
export function invalidArgument(message: string): CohortError {
  return new CohortError('INVALID_ARGUMENT', message);
}

/** Describes a value for an error message: `` `0` (number) ``. */
export function describeValue(value: unknown): string {
  let shown: string;
  try {
    shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  } catch {
    shown = Object.prototype.toString.call(value);
  }
  if (shown.length > 80) shown = `${shown.slice(0, 77)}...`;
  const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return `\`${shown}\` (${kind})`;
}
