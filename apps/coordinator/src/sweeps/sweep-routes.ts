import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { CohortError, endTrialRequestSchema, nextTrialRequestSchema, parseJson, stringifyJson } from '@cohort/protocol';
import type { z } from 'zod';
import { httpStatusOf, toPublicError } from '../grpc-status.js';
import { requestUrl } from '../request-url.js';
import { SWEEP_ACTIONS, type SweepAction, type SweepController } from './sweep-controller.js';

/** Largest request body: a sweep config. */
const MAX_BODY_BYTES = 256 * 1024;

/**
 * The HTTP routes of sweeps (docs/sweeps.md, docs/http-api.md), in front of
 * the API's handler; false for any other path. The caller is authenticated
 * and the entity in the path checked before (`http-api.ts`). A POST must be
 * `application/json`: a cross-site form cannot send that, and a cross-site
 * fetch of it needs a CORS preflight this server never grants.
 *
 * - `POST /api/v1/sweeps/:entity/:project` (the config) → `{ id, url }`
 * - `POST .../:id/{pause,resume,stop,cancel}` → `{ id, state }`
 * - `POST .../:id/next` `{ agent, heartbeatSeconds }` → a trial, `{ done }` or `{ wait }`
 * - `POST .../:id/trials/:trialId/heartbeat` → `{ stop }`
 * - `POST .../:id/trials/:trialId/end` `{ exitCode }` → the trial's end state
 * - `GET /api/v1/sweeps/:entity/:project[/:id]`
 */
export function createSweepRoutes(controller: SweepController, log: Logger): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const seg = requestUrl(req).pathname.split('/').slice(1);
    if (seg[0] !== 'api' || seg[1] !== 'v1' || seg[2] !== 'sweeps') return false;
    if (seg.length > 0 && seg[seg.length - 1] === '') seg.pop();
    void answer(controller, req, seg)
      .then((body) => send(res, 200, body, req.method === 'HEAD'))
      .catch((err: unknown) => {
        const error = toPublicError(err);
        if (error.unexpected) log.error({ err, method: req.method, url: req.url }, 'sweep request failed');
        if (res.headersSent) res.destroy();
        else send(res, err instanceof NoMethod ? 405 : httpStatusOf(error.code), { error: { code: error.code, message: error.message } }, false);
      });
    return true;
  };
}

class NoMethod extends CohortError {
  constructor(method: string, allowed: string) {
    super('INVALID_ARGUMENT', `method ${method} is not allowed here; use ${allowed}`);
  }
}

async function answer(controller: SweepController, req: IncomingMessage, seg: string[]): Promise<unknown> {
  let parts: string[];
  try {
    parts = seg.slice(3).map((p) => decodeURIComponent(p));
  } catch {
    throw new CohortError('INVALID_ARGUMENT', 'a path segment is not valid percent-encoding');
  }
  const [entity, project, id, sub, trialId, trialAction, ...rest] = parts;
  const notFound = () => new CohortError('NOT_FOUND', `no route for ${JSON.stringify(requestUrl(req).pathname)}; see docs/http-api.md`);
  if (entity === undefined || project === undefined || rest.length > 0 || parts.some((p) => p === '')) throw notFound();
  const method = req.method ?? 'GET';
  const read = method === 'GET' || method === 'HEAD';
  const expect = (want: 'GET' | 'POST') => {
    if ((want === 'GET') !== read) throw new NoMethod(method, want);
  };
  if (id === undefined) {
    if (read) return controller.list(entity, project);
    expect('POST');
    return controller.create(entity, project, await readJson(req));
  }
  const key = { entity, project, id };
  if (sub === undefined) {
    expect('GET');
    return controller.view(key);
  }
  if (trialId === undefined) {
    if (sub === 'next') {
      expect('POST');
      return controller.next(key, checked(nextTrialRequestSchema, await readJson(req), 'next'));
    }
    if (!SWEEP_ACTIONS.includes(sub as SweepAction)) throw notFound();
    expect('POST');
    await readJson(req, true);
    return controller.control(key, sub as SweepAction);
  }
  if (sub !== 'trials' || trialAction === undefined) throw notFound();
  expect('POST');
  if (trialAction === 'heartbeat') {
    await readJson(req, true);
    return controller.heartbeat(key, trialId);
  }
  if (trialAction === 'end') return controller.end(key, trialId, checked(endTrialRequestSchema, await readJson(req), 'end').exitCode);
  throw notFound();
}

/** A body checked against its schema: INVALID_ARGUMENT naming the field and the rule. */
function checked<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  throw new CohortError('INVALID_ARGUMENT', `${what}: ${result.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(body)'}: ${i.message}`).join('; ')}`);
}

/** The JSON body of a POST, which must say `application/json` (`undefined` when empty and `optional`). */
async function readJson(req: IncomingMessage, optional = false): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new CohortError('INVALID_ARGUMENT', `expected Content-Type application/json, got ${JSON.stringify(type)}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw new CohortError('RESOURCE_EXHAUSTED', `the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  if (size === 0 && optional) return undefined;
  try {
    return parseJson(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new CohortError('INVALID_ARGUMENT', 'the body is not valid JSON');
  }
}

function send(res: ServerResponse, status: number, body: unknown, head: boolean): void {
  const text = stringifyJson(body);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  };
  if (status === 405) headers.allow = 'GET, HEAD, POST';
  res.writeHead(status, headers);
  res.end(head ? undefined : text);
}
