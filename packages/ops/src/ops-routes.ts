import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

/** One dependency `/readyz` checks (Redis, PostgreSQL...). */
export interface ReadinessCheck {
  name: string;
  /** Resolves when the dependency answers; rejects (or takes longer than the probe's bound) when not. */
  check(): Promise<unknown>;
}

/** What the operations routes need. */
export interface OpsRoutesDeps {
  registry: Registry;
  /** False once the process is shutting down: `/healthz` and `/readyz` answer 503. */
  live(): boolean;
  checks: readonly ReadinessCheck[];
  /** How long one readiness check may take. @defaultValue 2000 */
  checkTimeoutMs?: number;
}

/**
 * The routes Kubernetes and Prometheus use: `GET /metrics` (text format),
 * `GET /healthz` (liveness: the process serves) and `GET /readyz` (readiness:
 * every check answered within its bound; 503 with the failing ones
 * otherwise). Returns a handler that answers those paths and returns false
 * for any other, so it sits in front of the API's handler.
 *
 * Shared by the coordinator and the worker.
 */
export function createOpsRoutes(deps: OpsRoutesDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const timeoutMs = deps.checkTimeoutMs ?? 2000;
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' && path !== '/healthz' && path !== '/readyz') return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'application/json', JSON.stringify({ error: { code: 'INVALID_ARGUMENT', message: `method ${req.method ?? ''} is not allowed; use GET` } }), req);
      return true;
    }
    void answer(path, deps, timeoutMs).then(
      ({ status, type, body }) => send(res, status, type, body, req),
      (err: unknown) => send(res, 500, 'text/plain; charset=utf-8', `error: ${err instanceof Error ? err.message : String(err)}\n`, req),
    );
    return true;
  };
}

async function answer(path: string, deps: OpsRoutesDeps, timeoutMs: number): Promise<{ status: number; type: string; body: string }> {
  if (path === '/metrics') return { status: 200, type: deps.registry.contentType, body: await deps.registry.metrics() };
  const json = 'application/json; charset=utf-8';
  if (!deps.live()) return { status: 503, type: json, body: JSON.stringify({ ok: false, reason: 'shutting down' }) };
  if (path === '/healthz') return { status: 200, type: json, body: JSON.stringify({ ok: true }) };
  const results = await Promise.all(deps.checks.map(async (c) => [c.name, await probe(c, timeoutMs)] as const));
  const ok = results.every(([, r]) => r === 'ok');
  return { status: ok ? 200 : 503, type: json, body: JSON.stringify({ ok, checks: Object.fromEntries(results) }) };
}

async function probe(check: ReadinessCheck, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([
      check.check().then(
        () => 'ok',
        (err: unknown) => (err instanceof Error ? err.message : String(err)),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function send(res: ServerResponse, status: number, type: string, body: string, req: IncomingMessage): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}
