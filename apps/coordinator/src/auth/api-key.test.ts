import { describe, expect, it } from 'vitest';
import { generateApiKey, hashSecret, parseApiKey, secretMatches } from './api-key.js';

describe('API keys', () => {
  it('makes ck_<id>_<secret> keys whose secret hashes to the stored hash', () => {
    const k = generateApiKey();
    expect(k.key).toMatch(/^ck_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/);
    const parsed = parseApiKey(k.key)!;
    expect(parsed.id).toBe(k.id);
    expect(hashSecret(parsed.secret)).toBe(k.hash);
    expect(secretMatches(parsed.secret, k.hash)).toBe(true);
    expect(secretMatches(parsed.secret.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')), k.hash)).toBe(false);
    expect(generateApiKey().id).not.toBe(k.id);
  });

  it('parses nothing that is not a key', () => {
    for (const text of ['', 'ck_', 'ck_short_x', `sk_${'a'.repeat(12)}_${'A'.repeat(43)}`, `ck_${'a'.repeat(12)}_${'A'.repeat(42)}`]) expect(parseApiKey(text)).toBeUndefined();
  });
});
