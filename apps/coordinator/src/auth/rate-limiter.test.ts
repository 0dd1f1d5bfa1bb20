import { describe, expect, it } from 'vitest';
import { RateLimitedError, RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('allows the burst, then refuses naming the setting, then refills with time', () => {
    let now = 0;
    const limiter = new RateLimiter({ requestsPerSecond: 2, burst: 3 }, () => now);
    for (let i = 0; i < 3; i++) limiter.take('k');
    expect(() => limiter.take('k')).toThrow(RateLimitedError);
    expect(() => limiter.take('k')).toThrow(/rateLimit\.requestsPerSecond = 2/);
    limiter.take('other');
    now = 0.5;
    limiter.take('k');
    expect(() => limiter.take('k')).toThrow(expect.objectContaining({ code: 'RESOURCE_EXHAUSTED', retryAfterSeconds: 1 }) as Error);
  });

  it('refuses bad settings naming them', () => {
    expect(() => new RateLimiter({ requestsPerSecond: 0, burst: 1 })).toThrow(/rateLimit\.requestsPerSecond/);
    expect(() => new RateLimiter({ requestsPerSecond: 1, burst: 0.5 })).toThrow(/rateLimit\.burst/);
  });

  it('keeps at most 10000 buckets, evicting the least recently used', () => {
    const limiter = new RateLimiter({ requestsPerSecond: 1, burst: 1 }, () => 0);
    for (let i = 0; i < 10_050; i++) limiter.take(`k${i}`);
    expect(limiter.size).toBe(10_000);
  });
});
