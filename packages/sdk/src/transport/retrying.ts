import { CohortError } from '@cohort/protocol';

/** Codes after which a call is tried again: the coordinator or the link was away, or busy. */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set(['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED']);

/**
 * Calls `fn` until it succeeds, fails with a code not in
 * {@link TRANSIENT_CODES}, or the next try would start past `deadline`
 * (epoch ms); between tries it waits 0.1 s doubling to 2 s, jittered. `fn`
 * gets the try's number (from 1) and the milliseconds left.
 */
export async function retryingUntil<T>(deadline: number, fn: (attempt: number, leftMs: number) => Promise<T>): Promise<T> {
  let delayMs = 100;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt, Math.max(1, deadline - Date.now()));
    } catch (err) {
      const code = err instanceof CohortError ? err.code : '';
      const wait = Math.round(delayMs * (0.5 + Math.random() / 2));
      if (!TRANSIENT_CODES.has(code) || Date.now() + wait >= deadline) throw err;
      await new Promise((r) => setTimeout(r, wait));
      delayMs = Math.min(2000, delayMs * 2);
    }
  }
}
