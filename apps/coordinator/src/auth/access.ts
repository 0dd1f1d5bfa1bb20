import type { IncomingMessage } from 'node:http';
import type * as grpc from '@grpc/grpc-js';
import type { IdentityStore } from '@cohort/store';
import { Authenticator, SESSION_COOKIE } from './authenticator.js';
import type { AuthMode } from './bind-policy.js';
import { effectiveEntity, SUPERUSER, type Principal, type UserPrincipal } from './principal.js';
import { RateLimiter, type RateLimit } from './rate-limiter.js';

/** Options of {@link Access}. */
export interface AccessOptions {
  mode: AuthMode;
  identity: IdentityStore;
  /** The entity of requests that name none, without keys. */
  defaultEntity: string;
  /** Requests per principal; `undefined`: no limit. */
  rateLimit: RateLimit | undefined;
  /** How long a verified key is trusted before the store is read again. @defaultValue 10000 */
  keyCacheTtlMs?: number;
}

/**
 * The one place requests become principals: authentication (API keys on
 * gRPC metadata and HTTP headers, the dashboard's session cookie) and the
 * rate limit per principal. With auth `'none'` every request is the
 * superuser. Handlers then check entities with `principal.ts`.
 */
export class Access {
  readonly mode: AuthMode;
  readonly #identity: IdentityStore;
  readonly #defaultEntity: string;
  readonly #auth: Authenticator;
  readonly #limiter: RateLimiter | undefined;

  constructor(options: AccessOptions) {
    this.mode = options.mode;
    this.#identity = options.identity;
    this.#defaultEntity = options.defaultEntity;
    this.#auth = new Authenticator({ identity: options.identity, ...(options.keyCacheTtlMs !== undefined && { cacheTtlMs: options.keyCacheTtlMs }) });
    this.#limiter = options.rateLimit && new RateLimiter(options.rateLimit);
  }

  /** The principal of a gRPC call (unary, or a stream's open), rate limited. */
  async grpc(metadata: grpc.Metadata, peer: string): Promise<Principal> {
    if (this.mode === 'none') {
      this.#limiter?.take(`addr:${peerAddress(peer)}`);
      return SUPERUSER;
    }
    const value = metadata.get('authorization')[0];
    const principal = await this.#failuresLimited(peerAddress(peer), () => this.#auth.bearer(typeof value === 'string' ? value : value?.toString('utf8')));
    this.#limiter?.take(`key:${principal.keyId}`);
    return principal;
  }

  /** The principal of an HTTP request (bearer key, else session cookie), rate limited. */
  async http(req: IncomingMessage): Promise<Principal> {
    if (this.mode === 'none') {
      this.#limiter?.take(`addr:${req.socket.remoteAddress ?? ''}`);
      return SUPERUSER;
    }
    const header = req.headers.authorization;
    const session = header === undefined ? readCookie(req.headers.cookie, SESSION_COOKIE) : undefined;
    const principal = await this.#failuresLimited(req.socket.remoteAddress ?? '', () => (session !== undefined ? this.#auth.session(session) : this.#auth.bearer(header)));
    this.#limiter?.take(`key:${principal.keyId}`);
    return principal;
  }

  /**
   * Authenticates; a failure also spends a token of the caller's address, so
   * one address guessing keys (or flooding with bad ones) meets the rate limit.
   */
  async #failuresLimited(address: string, authenticate: () => Promise<UserPrincipal>): Promise<UserPrincipal> {
    try {
      return await authenticate();
    } catch (err) {
      this.#limiter?.take(`failed:${address}`);
      throw err;
    }
  }

  /** Checks a long-lived call's key again (revocation, within the key cache's TTL). */
  async recheck(principal: Principal): Promise<void> {
    if (principal.superuser !== true) await this.#auth.recheck(principal);
  }

  /** The entity a request means (its own, or the user's or server's default when ''); NOT_FOUND when not visible. */
  entity(principal: Principal, requested: string): string {
    return effectiveEntity(principal, requested, this.#defaultEntity);
  }

  /** A session cookie for an API key (the dashboard's login); UNAUTHENTICATED for a bad key (which spends a token of `address`). */
  async login(key: string, address: string): Promise<{ principal: UserPrincipal; value: string; maxAgeSeconds: number }> {
    const principal = await this.#failuresLimited(address, () => this.#auth.key(key));
    return { principal, ...(await this.#auth.createSession(principal)) };
  }

  /**
   * Which of `digests` the principal may read: those granted to one of its
   * entities on upload or referenced by one of its artifacts or run files.
   * Content-addressed blobs are shared storage; this keeps one team from
   * reading (or learning of) another team's blob by its digest.
   */
  async readableBlobs(principal: Principal, digests: readonly string[]): Promise<ReadonlySet<string>> {
    if (principal.superuser === true) return new Set(digests);
    return this.#identity.readableBlobs([...principal.entities], digests);
  }

  /** Lets the principal's entities read blobs it uploaded. */
  async grantBlobs(principal: Principal, digests: readonly string[]): Promise<void> {
    if (principal.superuser !== true) await this.#identity.grantBlobs([...principal.entities], digests);
  }
}

/** `ipv4:1.2.3.4:5678` / `ipv6:[::1]:5678` → the address without the port. */
export function peerAddress(peer: string): string {
  const rest = peer.replace(/^ipv[46]:/, '');
  const v6 = /^\[([^\]]+)\]/.exec(rest);
  return v6 ? v6[1]! : rest.replace(/:\d+$/, '');
}

/** One cookie's value from a `Cookie` header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
