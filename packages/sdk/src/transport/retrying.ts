import { CohortError } from '@cohort/protocol';

/** Codes after which a call is tried again: the coordinator or the link was away. */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set(['UNAVAILABLE', 'DEADLINE_EXCEEDED']);

/**
 * Whether an error is worth another try: the server was away, or it refused
 * for now and said when to come back (`retryAfterMs`: a rate limit, a full
 * server). A RESOURCE_EXHAUSTED without it names a limit that waiting does
 * not lift (`maxRunsPerProject`): trying again would only delay the error.
 */
export function isTransient(err: unknown): err is CohortError {
  return err instanceof CohortError && (TRANSIENT_CODES.has(err.code) || err.retryAfterMs !== undefined);
}

/**
 * Calls `fn` until it succeeds, fails with an error that is not
 * {@link isTransient}, or the next try would start past `deadline` (epoch
 * ms); between tries it waits 0.1 s doubling to 2 s, jittered, or the
 * server's `retryAfterMs` when longer. `fn` gets the try's number (from 1)
 * and the milliseconds left.
 */
export async function retryingUntil<T>(deadline: number, fn: (attempt: number, leftMs: number) => Promise<T>): Promise<T> {
  let delayMs = 100;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt, Math.max(1, deadline - Date.now()));
    } catch (err) {
      if (!isTransient(err)) throw err;
      const wait = Math.max(Math.round(delayMs * (0.5 + Math.random() / 2)), err.retryAfterMs ?? 0);
      if (Date.now() + wait >= deadline) throw err;
      await new Promise((r) => setTimeout(r, wait));
      delayMs = Math.min(2000, delayMs * 2);
    }
  }
}
