import type { IncomingMessage, ServerResponse } from 'node:http';
import { stringifyJson } from '@cohort/protocol';
import type { Access } from './auth/access.js';
import { httpStatusOf, toPublicError } from './grpc-status.js';

/**
 * Where `/metrics` is served (docs/SECURITY.md, "Who sees the metrics"):
 * on its own listener when the operator gives `metricsPort` (the main port
 * then answers it 404), else on the main port, behind an API key when keys
 * are on. `/healthz` and `/readyz` stay open for load balancers.
 *
 * Returns the main port's handler of the ops paths: true when it took the request.
 */
export function createMetricsGate(deps: {
  ops: (req: IncomingMessage, res: ServerResponse) => boolean;
  access: Access;
  /** True when `/metrics` has a listener of its own. */
  separate: boolean;
}): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') return deps.ops(req, res);
    if (deps.separate) {
      reply(res, 404, { error: { code: 'NOT_FOUND', message: '/metrics is served on the metrics port of this server, not here' } });
      return true;
    }
    if (deps.access.mode === 'none') return deps.ops(req, res);
    deps.access.http(req).then(
      () => deps.ops(req, res),
      (err: unknown) => {
        const error = toPublicError(err);
        reply(res, httpStatusOf(error.code), { error: { code: error.code, message: error.message } });
      },
    );
    return true;
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = stringifyJson(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
