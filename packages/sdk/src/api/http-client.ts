import { CohortError, ERROR_CODES, parseJson, stringifyJson, type ErrorCode } from '@cohort/protocol';

/** Options of {@link HttpClient}. */
export interface HttpClientOptions {
  readonly baseUrl: string;
  readonly apiKey: string | undefined;
  readonly timeoutMs: number;
}

const KNOWN = new Set<string>(ERROR_CODES);

/** HTTP status → error code, when the body names none. */
function codeForStatus(status: number): ErrorCode {
  if (status === 400) return 'INVALID_ARGUMENT';
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'PERMISSION_DENIED';
  if (status === 404) return 'NOT_FOUND';
  if (status === 409) return 'ALREADY_EXISTS';
  if (status === 412) return 'FAILED_PRECONDITION';
  if (status === 429) return 'RESOURCE_EXHAUSTED';
  if (status === 503) return 'UNAVAILABLE';
  if (status === 504) return 'DEADLINE_EXCEEDED';
  return 'INTERNAL';
}

/** A response's JSON body, or the `CohortError` its status and error body say. */
async function answerOf(method: string, path: string, res: Response): Promise<unknown> {
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : parseJson(text);
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const error = body !== null && typeof body === 'object' ? (body as { error?: { code?: unknown; message?: unknown } }).error : undefined;
    const code = typeof error?.code === 'string' && KNOWN.has(error.code) ? (error.code as ErrorCode) : codeForStatus(res.status);
    const message = typeof error?.message === 'string' ? error.message : `HTTP ${res.status}`;
    throw new CohortError(code, `${method} ${path}: ${message}`);
  }
  if (body === undefined) throw new CohortError('INTERNAL', `${method} ${path}: the server answered no JSON`);
  return body;
}

/**
 * Errors of a request that died on its connection before any answer: a pooled
 * keep-alive socket the server had closed while this process could not see it
 * (its event loop was blocked), or a reset. Only these are retried.
 */
const STALE_CONNECTION = new Set(['UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNRESET', 'EPIPE']);

function isStaleConnection(err: unknown): boolean {
  // undici wraps the socket's error: TypeError('fetch failed') { cause: SocketError { code } }.
  let e: unknown = err;
  for (let depth = 0; depth < 4 && typeof e === 'object' && e !== null; depth++) {
    const { code, cause } = e as { code?: unknown; cause?: unknown };
    if (typeof code === 'string' && STALE_CONNECTION.has(code)) return true;
    e = cause;
  }
  return false;
}

/**
 * `fetch` for idempotent requests: one transparent retry, on a fresh
 * connection, when the first try died on a stale or reset connection.
 */
async function fetchIdempotent(url: string, init: () => RequestInit): Promise<Response> {
  try {
    return await fetch(url, init());
  } catch (err) {
    if (!isStaleConnection(err)) throw err;
    return await fetch(url, init());
  }
}

/**
 * GETs JSON (NaN-keeping) from the coordinator's `/api/v1`; errors become
 * `CohortError` with the server's code. A GET is idempotent, so a stale
 * pooled connection is retried once, transparently; a POST (sweeps) is not.
 */
export class HttpClient {
  readonly #o: HttpClientOptions;

  constructor(options: HttpClientOptions) {
    this.#o = { ...options, baseUrl: options.baseUrl.replace(/\/+$/, '') };
  }

  get baseUrl(): string {
    return this.#o.baseUrl;
  }

  /** `GET <baseUrl><path>?<query>`; `undefined` query values are left out. */
  async get(path: string, query: Record<string, string | number | undefined> = {}): Promise<unknown> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    const url = `${this.#o.baseUrl}${path}${qs === '' ? '' : `?${qs}`}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#o.apiKey !== undefined) headers['authorization'] = `Bearer ${this.#o.apiKey}`;
    let res: Response;
    try {
      res = await fetchIdempotent(url, () => ({ headers, signal: AbortSignal.timeout(this.#o.timeoutMs) }));
    } catch (err) {
      const name = (err as Error).name;
      const code: ErrorCode = name === 'TimeoutError' ? 'DEADLINE_EXCEEDED' : 'UNAVAILABLE';
      throw new CohortError(code, `GET ${url} failed: ${(err as Error).message}`, { cause: err });
    }
    return answerOf('GET', path, res);
  }

  /**
   * `POST <baseUrl><path>` with a JSON body (sweeps: create, next trial,
   * heartbeat); never retried, as it may not be idempotent. Errors as in {@link HttpClient.get}.
   */
  async post(path: string, body: unknown): Promise<unknown> {
    const url = `${this.#o.baseUrl}${path}`;
    const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/json' };
    if (this.#o.apiKey !== undefined) headers['authorization'] = `Bearer ${this.#o.apiKey}`;
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers, body: stringifyJson(body), signal: AbortSignal.timeout(this.#o.timeoutMs) });
    } catch (err) {
      const code: ErrorCode = (err as Error).name === 'TimeoutError' ? 'DEADLINE_EXCEEDED' : 'UNAVAILABLE';
      throw new CohortError(code, `POST ${url} failed: ${(err as Error).message}`, { cause: err });
    }
    return answerOf('POST', path, res);
  }

  /** `GET <baseUrl><path>` as a byte stream (blobs, files); errors and the retry as in {@link HttpClient.get}. No timeout once the body flows. */
  async getStream(path: string): Promise<ReadableStream<Uint8Array>> {
    const url = `${this.#o.baseUrl}${path}`;
    const headers: Record<string, string> = {};
    if (this.#o.apiKey !== undefined) headers['authorization'] = `Bearer ${this.#o.apiKey}`;
    let res: Response;
    try {
      res = await fetchIdempotent(url, () => ({ headers }));
    } catch (err) {
      throw new CohortError('UNAVAILABLE', `GET ${url} failed: ${(err as Error).message}`, { cause: err });
    }
    if (!res.ok || !res.body) {
      const text = await res.text().catch(() => '');
      let message = `HTTP ${res.status}`;
      let code = codeForStatus(res.status);
      try {
        const error = (parseJson(text) as { error?: { code?: unknown; message?: unknown } }).error;
        if (typeof error?.message === 'string') message = error.message;
        if (typeof error?.code === 'string' && KNOWN.has(error.code)) code = error.code as ErrorCode;
      } catch {
        // not JSON: the status says enough
      }
      throw new CohortError(code, `GET ${path}: ${message}`);
    }
    return res.body;
  }
}
