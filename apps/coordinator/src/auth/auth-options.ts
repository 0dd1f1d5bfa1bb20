import { resolveAuthMode, type AuthMode } from './bind-policy.js';
import { DEFAULT_RATE_LIMIT, type RateLimit } from './rate-limiter.js';

/** PEM certificate chain and private key the servers present (gRPC and HTTPS alike). */
export interface TlsOptions {
  /** The certificate chain, PEM. */
  cert: string | Buffer;
  /** The private key, PEM. */
  key: string | Buffer;
}

/** Who may call a coordinator, how often, and over what (part of `CoordinatorOptions`). */
export interface AuthOptions {
  /**
   * `'keys'`: every request carries an API key (`authorization: Bearer
   * ck_...`, or the dashboard's session cookie) and sees only its user's
   * entities. `'none'`: no keys, everyone sees everything; allowed only
   * while both binds are loopback. @defaultValue `'none'` when both gRPC and
   * HTTP bind loopback (127.0.0.0/8, ::1, localhost), else `'keys'`
   */
  auth?: AuthMode;
  /**
   * Requests per API key (HTTP requests, gRPC unary calls and stream opens;
   * not record batches, which back-pressure bounds). Over it: HTTP 429 with
   * `Retry-After`, gRPC RESOURCE_EXHAUSTED. `false` turns it off.
   * @defaultValue `{ requestsPerSecond: 50, burst: 200 }` with keys; off
   * without keys unless given (then per remote address)
   */
  rateLimit?: Partial<RateLimit> | false;
  /** How long a verified key is trusted before the store is read again (revocation delay). @defaultValue 10000 */
  keyCacheTtlMs?: number;
  /** Serve gRPC and HTTPS with this certificate. @defaultValue plaintext */
  tls?: TlsOptions;
}

/** {@link AuthOptions} after defaults. */
export interface ResolvedAuthOptions {
  mode: AuthMode;
  rateLimit: RateLimit | undefined;
  keyCacheTtlMs: number | undefined;
  tls: TlsOptions | undefined;
}

/** Resolves {@link AuthOptions} for servers bound to `hosts`; throws when `'none'` is asked for off loopback. */
export function resolveAuthOptions(options: AuthOptions, hosts: readonly string[]): ResolvedAuthOptions {
  const mode = resolveAuthMode(options.auth, hosts);
  const given = options.rateLimit;
  // Without keys every caller is local (loopback): a limit per address applies only when asked for.
  const rateLimit = given === false || (given === undefined && mode === 'none') ? undefined : { ...DEFAULT_RATE_LIMIT, ...given };
  if (options.tls !== undefined && (!options.tls.cert || !options.tls.key)) throw new TypeError('Expected `tls.cert` and `tls.key` (PEM), got only one of them');
  return { mode, rateLimit, keyCacheTtlMs: options.keyCacheTtlMs, tls: options.tls };
}
