import { CohortError } from '@cohort/protocol';

/** Socket errors: the server is down, restarting or unreachable. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
]);

/**
 * SQLSTATEs worth a retry: connection exceptions (class 08), shutdowns and
 * start-up (57P01-57P03), too many connections, serialization failures and
 * deadlocks (the transaction was rolled back whole).
 */
const TRANSIENT_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01']);

/** Messages node-postgres gives errors of its own that carry no code. */
const TRANSIENT_MESSAGE = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection terminated due to connection timeout|Client was closed/i;

/**
 * Maps an error of `pg` to the {@link CohortError} a caller can act on:
 * UNAVAILABLE when the database is unreachable or the transaction was
 * aborted by something transient (workers retry the job; a batch that did
 * commit is then found applied by its seq), INVALID_ARGUMENT for a value
 * PostgreSQL cannot hold (SQLSTATE class 22: retrying would not help),
 * DEADLINE_EXCEEDED for a statement timeout. Anything else is returned as it came: a bug, not a
 * condition to retry.
 */
export function toCohortError(err: unknown, doing: string): unknown {
  if (err instanceof CohortError) return err;
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || code.startsWith('08') || TRANSIENT_SQLSTATES.has(code)) {
      return new CohortError('UNAVAILABLE', `store: PostgreSQL unavailable while ${doing} (${code}: ${message})`, { cause: err });
    }
    if (code.startsWith('22')) {
      // Data exceptions: a NUL character in text (22021), a fractional step for a BIGINT column (22P02), an int out of range (22003)...
      return new CohortError('INVALID_ARGUMENT', `store: PostgreSQL refused a value while ${doing} (${code}: ${message})`, { cause: err });
    }
    if (code === '57014') {
      return new CohortError('DEADLINE_EXCEEDED', `store: a statement ran past the store's statement timeout while ${doing}`, { cause: err });
    }
  }
  if (TRANSIENT_MESSAGE.test(message)) {
    return new CohortError('UNAVAILABLE', `store: PostgreSQL unavailable while ${doing} (${message})`, { cause: err });
  }
  return err;
}

/** True for a unique violation (SQLSTATE 23505). */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}
