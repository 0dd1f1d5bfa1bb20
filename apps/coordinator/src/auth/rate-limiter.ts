import { CohortError } from '@cohort/protocol';

/** The request rate each principal is allowed: a token bucket. */
export interface RateLimit {
  /** Tokens added per second. @defaultValue 50 */
  readonly requestsPerSecond: number;
  /** The bucket's size: requests allowed at once after a quiet spell. @defaultValue 200 */
  readonly burst: number;
}

/** The default {@link RateLimit}. */
export const DEFAULT_RATE_LIMIT: RateLimit = Object.freeze({ requestsPerSecond: 50, burst: 200 });

/** Most buckets kept; the least recently used one goes first (a bucket idle that long is full anyway). */
const MAX_BUCKETS = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * One token bucket per principal (API key id, or remote address without
 * keys), over HTTP requests, gRPC unary calls and stream opens. The map of
 * buckets is bounded: the least recently used is evicted.
 */
export class RateLimiter {
  readonly #limit: RateLimit;
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;

  constructor(limit: RateLimit, now: () => number = () => performance.now() / 1000) {
    if (!(limit.requestsPerSecond > 0) || !Number.isFinite(limit.requestsPerSecond)) {
      throw new TypeError(`Expected \`rateLimit.requestsPerSecond\` to be a number above 0, got \`${String(limit.requestsPerSecond)}\``);
    }
    if (!Number.isInteger(limit.burst) || limit.burst < 1) throw new TypeError(`Expected \`rateLimit.burst\` to be an integer from 1 and up, got \`${String(limit.burst)}\``);
    this.#limit = limit;
    this.#now = now;
  }

  /** Buckets held now. */
  get size(): number {
    return this.#buckets.size;
  }

  /** Takes a token for `who`; throws RESOURCE_EXHAUSTED (with `retryAfterSeconds`) when none is left. */
  take(who: string): void {
    const now = this.#now();
    const { requestsPerSecond, burst } = this.#limit;
    let bucket = this.#buckets.get(who);
    if (bucket) {
      this.#buckets.delete(who);
      bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.at) * requestsPerSecond);
      bucket.at = now;
    } else {
      bucket = { tokens: burst, at: now };
      if (this.#buckets.size >= MAX_BUCKETS) this.#buckets.delete(this.#buckets.keys().next().value!);
    }
    this.#buckets.set(who, bucket);
    if (bucket.tokens < 1) {
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / requestsPerSecond));
      throw new RateLimitedError(
        `too many requests: over the rate limit (rateLimit.requestsPerSecond = ${requestsPerSecond}, rateLimit.burst = ${burst}); retry after ${retryAfterSeconds} s`,
        retryAfterSeconds,
      );
    }
    bucket.tokens -= 1;
  }
}

/** RESOURCE_EXHAUSTED from the rate limit, with the seconds to wait (HTTP `Retry-After`). */
export class RateLimitedError extends CohortError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('RESOURCE_EXHAUSTED', message, { retryAfterMs: retryAfterSeconds * 1000 });
  }
}
