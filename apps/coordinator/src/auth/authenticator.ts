import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { CohortError } from '@cohort/protocol';
import type { IdentityStore } from '@cohort/store';
import { parseApiKey, secretMatches } from './api-key.js';
import type { UserPrincipal } from './principal.js';

/** Options of {@link Authenticator}. */
export interface AuthenticatorOptions {
  identity: IdentityStore;
  /**
   * How long a verified key is trusted without reading the store again: a
   * revoked key (or a changed membership) takes effect within this time.
   * @defaultValue 10000
   */
  cacheTtlMs?: number;
  /** Most keys cached. @defaultValue 10000 */
  maxCached?: number;
  /** How long a dashboard session lasts. @defaultValue 12 hours */
  sessionTtlSeconds?: number;
  now?: () => number;
}

interface Cached {
  readonly principal: UserPrincipal;
  readonly hash: string;
  readonly until: number;
}

/** The name of the dashboard's session cookie. */
export const SESSION_COOKIE = 'cohort_session';

const unauthenticated = (message: string) => new CohortError('UNAUTHENTICATED', message);

/**
 * Turns API keys and session cookies into principals. A key is verified
 * against its stored SHA-256 and its user's memberships are read, then the
 * result is cached for `cacheTtlMs` (a bounded LRU), so a hot stream does not
 * read the store per message.
 *
 * Sessions are HMAC-signed cookies `<keyId>.<expiry>.<mac>` under a secret
 * kept in the store: every coordinator sharing the store accepts them (no
 * sticky sessions in scaled mode), nothing is held per session in memory, and
 * the key behind a session is looked up (through the cache) on every request,
 * so revoking the key ends its sessions too.
 */
export class Authenticator {
  readonly #identity: IdentityStore;
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #sessionTtl: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, Cached>();
  #secret: Promise<Buffer> | undefined;

  constructor(options: AuthenticatorOptions) {
    this.#identity = options.identity;
    this.#ttlMs = options.cacheTtlMs ?? 10_000;
    this.#max = options.maxCached ?? 10_000;
    this.#sessionTtl = options.sessionTtlSeconds ?? 12 * 3600;
    this.#now = options.now ?? Date.now;
  }

  /** The principal of an `Authorization: Bearer <key>` value; UNAUTHENTICATED for a missing, malformed, unknown or revoked key. */
  async bearer(header: string | undefined): Promise<UserPrincipal> {
    if (header === undefined || header === '') {
      throw unauthenticated('missing API key: send `authorization: Bearer <key>` (make a key with `cohort keys create --user <name>`)');
    }
    const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!m) throw unauthenticated('authorization: expected `Bearer <key>`');
    return this.key(m[1]!);
  }

  /** The principal of an API key. */
  async key(key: string): Promise<UserPrincipal> {
    const parsed = parseApiKey(key);
    if (!parsed) throw unauthenticated('API key: not a Cohort key (expected `ck_<id>_<secret>`)');
    const entry = await this.#lookup(parsed.id);
    if (!secretMatches(parsed.secret, entry.hash)) throw unauthenticated(`API key ${parsed.id}: not valid`);
    return entry.principal;
  }

  /**
   * Checks again that a principal's key is still valid (cheap while cached);
   * UNAUTHENTICATED once it was revoked. Long-lived streams call it per batch.
   */
  async recheck(principal: UserPrincipal): Promise<void> {
    await this.#lookup(principal.keyId);
  }

  /** A session cookie value for a verified principal, and its lifetime in seconds. */
  async createSession(principal: UserPrincipal): Promise<{ value: string; maxAgeSeconds: number }> {
    const expires = Math.floor(this.#now() / 1000) + this.#sessionTtl;
    const payload = `${principal.keyId}.${expires}`;
    return { value: `${payload}.${await this.#mac(payload)}`, maxAgeSeconds: this.#sessionTtl };
  }

  /** The principal of a session cookie value; UNAUTHENTICATED when forged, expired, or its key was revoked. */
  async session(value: string): Promise<UserPrincipal> {
    const m = /^([a-z2-7]{12})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value);
    if (!m) throw unauthenticated('session: malformed; log in again');
    const expected = Buffer.from(await this.#mac(`${m[1]!}.${m[2]!}`));
    const given = Buffer.from(m[3]!);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw unauthenticated('session: not valid; log in again');
    if (Number(m[2]) * 1000 < this.#now()) throw unauthenticated('session: expired; log in again');
    return (await this.#lookup(m[1]!)).principal;
  }

  async #mac(payload: string): Promise<string> {
    this.#secret ??= this.#identity.serverSecret('session-hmac', randomBytes(32).toString('base64url')).then((s) => Buffer.from(s));
    const secret = await this.#secret.catch((err: unknown) => {
      this.#secret = undefined;
      throw err;
    });
    return createHmac('sha256', secret).update(payload).digest('base64url');
  }

  async #lookup(id: string): Promise<Cached> {
    const now = this.#now();
    const hit = this.#cache.get(id);
    if (hit && hit.until > now) {
      this.#cache.delete(id);
      this.#cache.set(id, hit);
      return hit;
    }
    this.#cache.delete(id);
    const stored = await this.#identity.findKey(id);
    if (!stored) throw unauthenticated(`API key ${id}: not valid`);
    if (stored.revokedAt !== undefined) throw unauthenticated(`API key ${id}: revoked`);
    const entities = await this.#identity.entitiesOf(stored.user);
    await this.#identity.touchKey(id);
    const entry: Cached = {
      principal: Object.freeze({ user: stored.user, keyId: id, entities: new Set(entities) }),
      hash: stored.hash,
      until: now + this.#ttlMs,
    };
    if (this.#cache.size >= this.#max) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(id, entry);
    return entry;
  }
}
