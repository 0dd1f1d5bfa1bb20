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
