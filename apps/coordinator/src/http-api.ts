import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { CohortError, stringifyJson, type HttpAnswer, type HttpRoute } from '@cohort/protocol';
import { MAX_RUNS_PAGE, RUN_FIELDS, type Engine, type RunField, type RunFilters } from '@cohort/engine';
import { httpStatusOf, toPublicError } from './grpc-status.js';
import { intParam, jsonObjectParam, listParam, nameParam, parseQuery, runFiltersSchema } from './http-query.js';
import { renderErrorPage, renderIndexPage, renderProjectPage, renderRunPage } from './html-pages.js';
import { checkApiRoute } from './http-schemas.js';
import { runUrl } from './run-url.js';
import { MAX_HISTORY_KEYS, runSubRoute, RUN_ROUTES } from './run-routes.js';
import { runsSeriesRoute } from './series-route.js';
import type { RunStreams } from './run-stream.js';
import type { WebAssets } from './web-assets.js';
import type { ServerInfoView } from './server-info.js';
import type { Access } from './auth/access.js';
import { checkPathEntity } from './auth/path-policy.js';
import { canSee, SUPERUSER, type Principal } from './auth/principal.js';
import { sessionRequest } from './auth/session-routes.js';
import { callerOf } from './auth/stream-slots.js';
import { requestUrl } from './request-url.js';
import { SweepController } from './sweeps/sweep-controller.js';
import { createSweepRoutes } from './sweeps/sweep-routes.js';

/** What the HTTP API needs. */
export interface HttpApiDeps {
  engine: Engine;
  log: Logger;
  defaultEntity: string;
  info(): ServerInfoView;
  /** The dashboard's built files; absent: the minimal server-rendered pages. */
  web?: WebAssets;
  /** Live run streams (SSE); absent: `/stream` is a 404. */
  streams?: RunStreams;
  /** Authentication and rate limit of every request but the dashboard's files and `/api/v1/health`. */
  access: Access;
  /** Whether the server speaks TLS (the session cookie is then `Secure`). */
  secure: boolean;
  /** Routes of blobs, artifacts and run files, tried first; false for other paths. */
  assets?: (req: IncomingMessage, res: ServerResponse, principal: Principal) => boolean;
}

/** Most runs a project page lists. */
const MAX_PAGE_RUNS = 500;

type Reply = ({ status: number; kind: 'json'; body: unknown } | { status: number; kind: 'html'; body: string }) & { headers?: Record<string, string> };

const json = (body: unknown, status = 200): Reply => ({ status, kind: 'json', body });
/** A 200 answer of `route`, its body as `HTTP_ROUTES` (@cohort/protocol) types it: the compiler holds the handlers to the contract. */
const ok = <R extends HttpRoute>(_route: R, body: HttpAnswer<R>): Reply => json(body);
const html = (body: string, status = 200): Reply => ({ status, kind: 'html', body });

/**
 * The request handler of the HTTP JSON API (`/api/v1/...`) and the minimal
 * HTML pages. Errors are `{ "error": { "code", "message" } }` with the HTTP
 * status of the code's row in `grpc-status.ts`; bad input is a 4xx naming
 * what was wrong, never a 500. docs/http-api.md describes every route.
 */
export function createHttpHandler(deps: HttpApiDeps): (req: IncomingMessage, res: ServerResponse) => void {
  // Sweeps (docs/sweeps.md): their state is in the store, so every coordinator over one database answers alike.
  const sweeps = createSweepRoutes(new SweepController(deps.engine.store, () => deps.info().httpUrl), deps.log);
  return (req, res) => {
    const isApi = (req.url ?? '/').startsWith('/api/');
    // The dashboard's files hold no data: they load without a key, and its API calls then ask for a login.
    if (!isApi && webRequest(deps, req, res)) return;
    if (isApi && sessionRequest(deps.access, deps.secure, req, res)) return;
    // Aborted when the client goes away before its answer is written: long reads stop instead of running on for nobody.
    const gone = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    authorize(deps, req)
      .then((principal) => {
        if (isApi && sweeps(req, res)) return undefined;
        // The route table (http-schemas.ts, over @cohort/protocol's HTTP_ROUTES) is the API: nothing outside it is answered.
        if (isApi) checkApiRoute(requestUrl(req).pathname);
        if (deps.assets?.(req, res, principal)) return undefined;
        if (isApi && streamRequest(deps, req, res, principal)) return undefined;
        return route(deps, req, principal, gone.signal);
      })
      .catch((err: unknown): Reply => {
        const error = toPublicError(err);
        if (error.unexpected) deps.log.error({ err, method: req.method, url: req.url }, 'request failed');
        const status = err instanceof MethodNotAllowed ? 405 : httpStatusOf(error.code);
        const reply: Reply = isApi ? json({ error: { code: error.code, message: error.message } }, status) : html(renderErrorPage(status, error.message), status);
        if (error.retryAfterMs !== undefined) reply.headers = { 'retry-after': String(Math.ceil(error.retryAfterMs / 1000)) };
        return reply;
      })
      .then((reply) => reply && send(res, reply, req.method === 'HEAD'))
      .catch((err: unknown) => {
        deps.log.error({ err }, 'could not write a response');
        res.destroy();
      });
  };
}

/**
 * The caller of a request (rate limited), with the entity its path names
 * checked. `/api/v1/health` needs no key.
 */
async function authorize(deps: HttpApiDeps, req: IncomingMessage): Promise<Principal> {
  const pathname = requestUrl(req).pathname;
  if (pathname === '/api/v1/health') return SUPERUSER;
  const principal = await deps.access.http(req);
  checkPathEntity(principal, splitSegments(pathname));
  return principal;
}

/** `GET /api/v1/runs/:e/:p/:id/stream` (SSE) writes to the response itself; true when it took the request. */
function streamRequest(deps: HttpApiDeps, req: IncomingMessage, res: ServerResponse, principal: Principal): boolean {
  if (!deps.streams || req.method !== 'GET') return false;
  const url = requestUrl(req);
  if (!url.pathname.endsWith('/stream')) return false;
  let seg: string[];
  try {
    seg = splitSegments(url.pathname);
  } catch {
    return false;
  }
  if (seg.length !== 7 || seg[1] !== 'v1' || seg[2] !== 'runs' || seg[6] !== 'stream') return false;
  const run = { entity: seg[3]!, project: seg[4]!, runId: seg[5]! };
  Promise.resolve()
    .then(() => parseQuery(url.searchParams, {}))
    .then(() => deps.streams!.start(req, res, run, callerOf(principal, req.socket.remoteAddress ?? ''), () => deps.access.recheck(principal)))
    .catch((err: unknown) => {
      const error = toPublicError(err);
      if (error.unexpected) deps.log.error({ err, url: req.url }, 'stream failed');
      if (!res.headersSent) send(res, json({ error: { code: error.code, message: error.message } }, httpStatusOf(error.code)), false);
      else res.end();
    });
  return true;
}

/** Non-API GETs go to the dashboard's files when it is built; true when it took the request. */
function webRequest(deps: HttpApiDeps, req: IncomingMessage, res: ServerResponse): boolean {
  if (!deps.web || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  const pathname = requestUrl(req).pathname;
  deps.web.serve(req, res, pathname).catch((err: unknown) => {
    deps.log.error({ err, url: req.url }, 'could not serve a dashboard file');
    res.destroy();
  });
  return true;
}

class MethodNotAllowed extends CohortError {
  constructor(method: string) {
    super('INVALID_ARGUMENT', `method ${method} is not allowed; this API only answers GET and HEAD`);
  }
}

function send(res: ServerResponse, reply: Reply, head: boolean): void {
  const body = reply.kind === 'json' ? stringifyJson(reply.body) : reply.body;
  const headers: Record<string, string | number> = {
    'content-type': reply.kind === 'json' ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  };
  // The pages carry no script; this keeps it so even if escaping were missed.
  // Framing stays allowed: `run.toHtml()` embeds run pages in iframes.
  if (reply.kind === 'html') headers['content-security-policy'] = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:";
  if (reply.status === 405) headers.allow = 'GET, HEAD';
  res.writeHead(reply.status, { ...headers, ...reply.headers });
  res.end(head ? undefined : body);
}

function splitSegments(pathname: string): string[] {
  const parts = pathname.split('/').slice(1);
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      throw new CohortError('INVALID_ARGUMENT', `path segment ${JSON.stringify(p)} is not valid percent-encoding`);
    }
  });
}

async function route(deps: HttpApiDeps, req: IncomingMessage, principal: Principal, signal: AbortSignal): Promise<Reply> {
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') throw new MethodNotAllowed(method);
  const url = requestUrl(req);
  const seg = splitSegments(url.pathname);
  const q = url.searchParams;
  const { engine } = deps;

  if (seg[0] === 'api') {
    if (seg[1] !== 'v1') throw notFound(url.pathname);
    const [, , resource, entity, project, runId, sub, subsub, ...rest] = seg;
    if (rest.length > 0) throw notFound(url.pathname);
    switch (resource) {
      case 'info':
        if (seg.length !== 3) throw notFound(url.pathname);
        parseQuery(q, {});
        return ok('/api/v1/info', deps.info());
      case 'health':
        if (seg.length !== 3) throw notFound(url.pathname);
        parseQuery(q, {});
        return ok('/api/v1/health', { ok: true });
      case 'projects': {
        if (seg.length !== 3) throw notFound(url.pathname);
        const query = parseQuery(q, { entity: nameParam(512) });
        if (query.entity !== undefined && !canSee(principal, query.entity)) return ok('/api/v1/projects', { projects: [] });
        // With keys and no entity asked for: the projects of every entity the key can see.
        if (query.entity === undefined && principal.superuser !== true) return ok('/api/v1/projects', { projects: visibleProjects(principal, await engine.listProjects()) });
        return ok('/api/v1/projects', { projects: await engine.listProjects(query.entity ?? deps.defaultEntity) });
      }
      case 'session':
        if (seg.length !== 3) throw notFound(url.pathname);
        parseQuery(q, {});
        return ok('/api/v1/session', principal.superuser === true ? { auth: 'none' } : { auth: 'keys', user: principal.user, entities: [...principal.entities] });
      case 'runs': {
        if (entity === undefined || project === undefined) throw notFound(url.pathname);
        if (runId === undefined) {
          const query = parseQuery(q, {
            filters: jsonObjectParam(runFiltersSchema),
            limit: intParam(1, MAX_RUNS_PAGE),
            cursor: nameParam(256),
            fields: listParam(RUN_FIELDS.length, 16),
          });
          const filters = (query.filters ?? {}) as RunFilters;
          const page = {
            ...(query.limit !== undefined && { limit: query.limit }),
            ...(query.cursor !== undefined && { cursor: query.cursor }),
            ...(query.fields !== undefined && { fields: query.fields as RunField[] }),
          };
          return ok('/api/v1/runs/{entity}/{project}', await engine.listRuns(entity, project, filters, page));
        }
        const run = { entity, project, runId };
        if (sub === undefined) {
          parseQuery(q, {});
          const view = await engine.getRun(run);
          if (!view) throw runNotFound(run);
          return ok('/api/v1/runs/{entity}/{project}/{id}', { ...view, url: runUrl(deps.info().httpUrl, { entity: view.entity, project: view.project, runId: view.id }) });
        }
        const subPath = subsub === undefined ? sub : `${sub}/${subsub}`;
        if (Object.hasOwn(RUN_ROUTES, subPath)) return json(await runSubRoute(engine, run, subPath, q, signal));
        throw notFound(url.pathname);
      }
      case 'series':
        if (entity === undefined || project === undefined || runId !== undefined) throw notFound(url.pathname);
        return ok('/api/v1/series/{entity}/{project}', await runsSeriesRoute(engine, entity, project, q, signal));
      case 'groups':
        return groupRoute(engine, url.pathname, q, entity, project, runId, sub, subsub);
      default:
        throw notFound(url.pathname);
    }
  }

  // HTML pages.
  const httpUrl = deps.info().httpUrl;
  if (seg.length === 0) {
    parseQuery(q, {});
    return html(renderIndexPage(httpUrl, visibleProjects(principal, await engine.listProjects())));
  }
  if (seg.length === 2) {
    parseQuery(q, {});
    const [entity, project] = seg as [string, string];
    const { runs } = await engine.listRuns(entity, project, {}, { limit: MAX_PAGE_RUNS });
    return html(renderProjectPage(httpUrl, entity, project, runs));
  }
  if (seg.length === 4 && seg[2] === 'runs') {
    const [entity, project, , runId] = seg as [string, string, string, string];
    const view = await engine.getRun({ entity, project, runId });
    if (!view) throw runNotFound({ entity, project, runId });
    return html(renderRunPage(httpUrl, view));
  }
  throw notFound(url.pathname);
}

/** `/api/v1/groups/:entity/:project` (list), `/:group` (members, states), `/:group/history` (aggregates). */
async function groupRoute(
  engine: Engine,
  pathname: string,
  q: URLSearchParams,
  entity: string | undefined,
  project: string | undefined,
  group: string | undefined,
  sub: string | undefined,
  subsub: string | undefined,
): Promise<Reply> {
  if (entity === undefined || project === undefined || subsub !== undefined) throw notFound(pathname);
  if (group === undefined) {
    parseQuery(q, {});
    return ok('/api/v1/groups/{entity}/{project}', { groups: await engine.listGroups(entity, project) });
  }
  const key = { entity, project, group };
  if (sub === undefined) {
    parseQuery(q, {});
    return ok('/api/v1/groups/{entity}/{project}/{group}', await engine.group(key));
  }
  if (sub !== 'history') throw notFound(pathname);
  const query = parseQuery(q, {
    keys: listParam(MAX_HISTORY_KEYS, 512),
    minStep: intParam(0, Number.MAX_SAFE_INTEGER),
    maxStep: intParam(0, Number.MAX_SAFE_INTEGER),
  });
  if (query.minStep !== undefined && query.maxStep !== undefined && query.minStep > query.maxStep) {
    throw new CohortError('INVALID_ARGUMENT', `query parameter \`minStep\`: ${query.minStep} is above maxStep ${query.maxStep}`);
  }
  return ok('/api/v1/groups/{entity}/{project}/{group}/history', {
    rows: await engine.groupHistory(key, {
      ...(query.keys !== undefined && { keys: query.keys }),
      ...(query.minStep !== undefined && { minStep: query.minStep }),
      ...(query.maxStep !== undefined && { maxStep: query.maxStep }),
    }),
  });
}

function visibleProjects<T extends { entity: string }>(principal: Principal, projects: T[]): T[] {
  return projects.filter((p) => canSee(principal, p.entity));
}

function notFound(path: string): CohortError {
  return new CohortError('NOT_FOUND', `no route for ${JSON.stringify(path)}; see docs/http-api.md`);
}

function runNotFound(run: { entity: string; project: string; runId: string }): CohortError {
  return new CohortError('NOT_FOUND', `run ${run.entity}/${run.project}/${run.runId} does not exist`);
}
