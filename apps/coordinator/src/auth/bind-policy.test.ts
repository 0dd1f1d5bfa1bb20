import { describe, expect, it } from 'vitest';
import { isLoopback, resolveAuthMode } from './bind-policy.js';

describe('bind policy', () => {
  it('knows loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST']) expect([h, isLoopback(h)]).toEqual([h, true]);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1']) expect([h, isLoopback(h)]).toEqual([h, false]);
  });

  it('defaults to no keys on loopback and to keys elsewhere, either bind counting', () => {
    expect(resolveAuthMode(undefined, ['127.0.0.1', '::1'])).toBe('none');
    expect(resolveAuthMode(undefined, ['127.0.0.1', '0.0.0.0'])).toBe('keys');
    expect(resolveAuthMode('keys', ['127.0.0.1'])).toBe('keys');
  });

  it('refuses auth none off loopback, saying why and how', () => {
    expect(() => resolveAuthMode('none', ['0.0.0.0', '127.0.0.1'])).toThrow(expect.objectContaining({ code: 'FAILED_PRECONDITION', message: expect.stringMatching(/0\.0\.0\.0.*--auth keys.*cohort keys create/) }) as Error);
    expect(() => resolveAuthMode('open' as 'none', ['127.0.0.1'])).toThrow(/`auth`/);
  });
});
