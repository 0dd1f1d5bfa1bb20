import { CohortError } from '@cohort/protocol';
import { describe, expect, it } from 'vitest';
import { isTransient, retryingUntil } from './retrying.js';

/** `fn` for retryingUntil that throws `errors` in turn, then answers `done`; counts its calls. */
function failing(errors: CohortError[]): { fn: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    fn: async () => {
      const err = errors[calls++];
      if (err !== undefined) throw err;
      return 'done';
    },
    calls: () => calls,
  };
}

describe('retryingUntil', () => {
  it('tries again while the server is away or asks to come back later', async () => {
    const f = failing([
      new CohortError('UNAVAILABLE', 'away'),
      new CohortError('DEADLINE_EXCEEDED', 'slow'),
      new CohortError('RESOURCE_EXHAUSTED', 'over the rate limit', { retryAfterMs: 20 }),
    ]);
    await expect(retryingUntil(Date.now() + 10_000, f.fn)).resolves.toBe('done');
    expect(f.calls()).toBe(4);
  });

  it('gives up at once on a limit that waiting does not lift', async () => {
    const limit = new CohortError('RESOURCE_EXHAUSTED', 'at most 2 are allowed (maxRunsPerProject)');
    const f = failing([limit]);
    const started = Date.now();
    await expect(retryingUntil(Date.now() + 10_000, f.fn)).rejects.toBe(limit);
    expect(f.calls()).toBe(1);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('waits at least what the server asked for, and never past the deadline', async () => {
    const f = failing([new CohortError('RESOURCE_EXHAUSTED', 'busy', { retryAfterMs: 300 })]);
    const started = Date.now();
    await expect(retryingUntil(Date.now() + 10_000, f.fn)).resolves.toBe('done');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);

    const late = new CohortError('RESOURCE_EXHAUSTED', 'busy', { retryAfterMs: 60_000 });
    await expect(retryingUntil(Date.now() + 1000, failing([late]).fn)).rejects.toBe(late);
  });

  it('calls other errors final', () => {
    expect(isTransient(new CohortError('INVALID_ARGUMENT', 'bad'))).toBe(false);
    expect(isTransient(new Error('not ours'))).toBe(false);
    expect(isTransient(new CohortError('RESOURCE_EXHAUSTED', 'limit'))).toBe(false);
    expect(isTransient(new CohortError('RESOURCE_EXHAUSTED', 'later', { retryAfterMs: 1 }))).toBe(true);
  });
});
