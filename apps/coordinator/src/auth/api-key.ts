import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A newly made API key: `key` is shown once; only `id` and `hash` are stored. */
export interface NewKey {
  readonly id: string;
  /** The whole key, `ck_<id>_<secret>`. */
  readonly key: string;
  /** Hex SHA-256 of the secret part. */
  readonly hash: string;
}

const KEY_PATTERN = /^ck_([a-z2-7]{12})_([A-Za-z0-9_-]{43})$/;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * Makes an API key `ck_<id>_<secret>`: a 12-character base32 id (public: it
 * names the key in lists and logs) and 32 random bytes of secret, base64url.
 * The secret has 256 bits of entropy, so one SHA-256 is the right stored
 * form (a slow password hash buys nothing against a search of 2^256).
 *
 * @example
 * const { key, id, hash } = generateApiKey();
 * await store.identity.createKey({ id, hash, user: 'alice', label: 'laptop', createdAt: Date.now() / 1000 });
 * console.log(key); // shown once
 */
export function generateApiKey(): NewKey {
  const idBytes = randomBytes(12);
  const id = Array.from(idBytes, (b) => BASE32[b & 31]).join('');
  const secret = randomBytes(32).toString('base64url');
  return { id, key: `ck_${id}_${secret}`, hash: hashSecret(secret) };
}

/** The id and secret of a well-formed key, else `undefined`. */
export function parseApiKey(key: string): { id: string; secret: string } | undefined {
  const m = KEY_PATTERN.exec(key);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

/** Hex SHA-256 of a key's secret. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Whether `secret` hashes to `hash`, compared in constant time. */
export function secretMatches(secret: string, hash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
