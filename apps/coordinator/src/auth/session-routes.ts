import type { IncomingMessage, ServerResponse } from 'node:http';
import { CohortError, stringifyJson } from '@cohort/protocol';
import { httpStatusOf, toPublicError } from '../grpc-status.js';
import type { Access } from './access.js';
import { SESSION_COOKIE } from './authenticator.js';
import { requestUrl } from '../request-url.js';

/** Largest login body: an API key in a small JSON object. */
const MAX_BODY_BYTES = 4096;

/**
 * The dashboard's login and logout (`POST /api/v1/session` with
 * `{"apiKey": "ck_..."}`, `POST /api/v1/session/logout`). A login sets an
 * HttpOnly, SameSite=Strict session cookie (Secure under TLS) that the
 * dashboard's fetches and EventSource send. True when it took the request.
 */
export function sessionRequest(access: Access, secure: boolean, req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'POST') return false;
  const pathname = requestUrl(req).pathname;
  if (pathname !== '/api/v1/session' && pathname !== '/api/v1/session/logout') return false;
  const attributes = `Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  void (async () => {
    if (pathname === '/api/v1/session/logout') {
      reply(res, 200, { ok: true }, { 'set-cookie': `${SESSION_COOKIE}=; Max-Age=0; ${attributes}` });
      return;
    }
    if (access.mode === 'none') throw new CohortError('FAILED_PRECONDITION', 'this server runs without API keys (auth "none"); no login is needed');
    checkSameOrigin(req);
    const body = await readBody(req);
    let apiKey: unknown;
    try {
      apiKey = (JSON.parse(body) as { apiKey?: unknown }).apiKey;
    } catch {
      throw new CohortError('INVALID_ARGUMENT', 'session: expected a JSON body {"apiKey": "ck_..."}');
    }
    if (typeof apiKey !== 'string') throw new CohortError('INVALID_ARGUMENT', `session: expected \`apiKey\` to be a string, got ${typeof apiKey}`);
    const session = await access.login(apiKey.trim(), req.socket.remoteAddress ?? '');
    reply(res, 200, { user: session.principal.user, entities: [...session.principal.entities] }, {
      'set-cookie': `${SESSION_COOKIE}=${session.value}; Max-Age=${session.maxAgeSeconds}; ${attributes}`,
    });
  })().catch((err: unknown) => {
    const error = toPublicError(err);
    if (!res.headersSent) reply(res, httpStatusOf(error.code), { error: { code: error.code, message: error.message } }, {});
    else res.destroy();
  });
  return true;
}

/**
 * Login CSRF: a page of another site must not log the visitor's browser in
 * with the attacker's key. A cross-site form can only send `text/plain`,
 * `application/x-www-form-urlencoded` or `multipart/form-data`, and a
 * cross-site `fetch` of JSON needs a CORS preflight this server never grants;
 * browsers send `Origin` on every POST. So a login must be
 * `application/json`, and its `Origin`, when there is one, this server's
 * host (docs/SECURITY.md, "Browser").
 */
function checkSameOrigin(req: IncomingMessage): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new CohortError('PERMISSION_DENIED', `session: expected Content-Type application/json, got ${JSON.stringify(type)}; log in from the dashboard's login page`);
  }
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  if (host === undefined || host !== req.headers.host) {
    throw new CohortError('PERMISSION_DENIED', `session: a login from origin ${JSON.stringify(origin)} is refused; log in from this server's own login page`);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw new CohortError('RESOURCE_EXHAUSTED', `session: the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  const text = stringifyJson(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}
