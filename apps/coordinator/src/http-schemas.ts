import { z } from 'zod';
import { CohortError, errorBodySchema, HTTP_ROUTES, httpJsonSchema, type HttpRoute } from '@cohort/protocol';
import { DEFAULT_RUNS_PAGE, MAX_RUNS_PAGE, MAX_SERIES_RUNS, RUN_FIELDS } from '@cohort/engine';
import { runFiltersSchema } from './http-query.js';

/**
 * The route table of the HTTP API: what each GET route of `HTTP_ROUTES`
 * (@cohort/protocol, packages/protocol/src/http/, which holds the response
 * schemas) takes and does, the source of `docs/openapi.json` (`node
 * scripts/openapi.mjs` writes it; a test keeps it current and parses real
 * responses with the schemas).
 */

type Param = { name: string; in: 'path' | 'query'; description: string; schema: Record<string, unknown>; required?: boolean };
const p = (name: string, description: string, schema: Record<string, unknown> = { type: 'string' }): Param => ({ name, in: 'query', description, schema });
const path = (name: string): Param => ({ name, in: 'path', required: true, description: `the ${name}`, schema: { type: 'string' } });
const int = (min: number, max?: number): Record<string, unknown> => ({ type: 'integer', minimum: min, ...(max !== undefined && { maximum: max }) });
const RUN = [path('entity'), path('project'), path('id')];
const GROUP = [path('entity'), path('project'), path('group')];
const STEPS = [p('minStep', 'inclusive', int(0)), p('maxStep', 'inclusive', int(0))];

/** What a route takes and does; its 200 body's schema is `HTTP_ROUTES[path]`. */
interface RouteDoc {
  summary: string;
  params: Param[];
  /** The content type of a route that is not JSON. */
  type?: string;
}

/** One GET route: its path template (`{name}`: one URL-encoded segment; `{path}`: the rest, one or more segments). */
export interface ApiRoute extends RouteDoc {
  path: HttpRoute;
  schema: z.ZodType;
}

// Every route of HTTP_ROUTES, or this does not compile.
const ROUTE_DOCS: { readonly [R in HttpRoute]: RouteDoc } = {
  '/api/v1/info': { summary: "The server's identity", params: [] },
  '/api/v1/health': { summary: 'Liveness', params: [] },
  '/api/v1/session': { summary: "Who the caller is: no auth, or the key's user and entities", params: [] },
  '/api/v1/projects': { summary: 'Projects with runs', params: [p('entity', 'default: the default entity')] },
  '/api/v1/runs/{entity}/{project}': {
    summary: 'Runs of a project, newest first, a page at a time',
    params: [
      path('entity'),
      path('project'),
      p('filters', `URL-encoded JSON: ${JSON.stringify(z.toJSONSchema(runFiltersSchema, { io: 'input' }))}`),
      p('limit', `runs per page (default ${DEFAULT_RUNS_PAGE}); a page may hold fewer and still have a nextCursor`, int(1, MAX_RUNS_PAGE)),
      p('cursor', 'the nextCursor of the previous page'),
      p('fields', `comma-separated big fields to include: ${RUN_FIELDS.join(', ')} (default none)`),
    ],
  },
  '/api/v1/runs/{entity}/{project}/{id}': { summary: 'One run and its page URL', params: RUN },
  '/api/v1/runs/{entity}/{project}/{id}/history': {
    summary: "History rows as logged; `samples` downsamples with full fidelity (the rows of each key's min, max and last value per bucket of `xAxis`)",
    params: [...RUN, p('keys', 'comma-separated leaf paths, at most 1000'), p('samples', 'a key with more points keeps the rows of its min, max and last in each of samples/3 buckets', int(1, 100_000)), p('xAxis', "_step (default), _runtime, _timestamp or a step metric: what the buckets cut and the rows' order"), ...STEPS],
  },
  '/api/v1/runs/{entity}/{project}/{id}/history/scan': { summary: 'Every row, a page at a time', params: [...RUN, p('fromStep', 'first step of the page', int(0)), p('pageSize', 'rows per page', int(1, 10_000))] },
  '/api/v1/runs/{entity}/{project}/{id}/series': {
    summary: 'Numeric metrics downsampled with full fidelity: per bucket of the x-range the min, max and last value',
    params: [...RUN, p('keys', 'comma-separated leaf paths (default: every numeric key not starting with _)'), p('buckets', 'buckets over the x-range (default 1000)', int(1, 100_000)), p('xAxis', '_step (default), _runtime, _timestamp or a step metric'), ...STEPS],
  },
  '/api/v1/runs/{entity}/{project}/{id}/alerts': { summary: "A run's alerts, oldest first", params: RUN },
  '/api/v1/runs/{entity}/{project}/{id}/state-history': { summary: "A run's state changes, oldest first", params: RUN },
  '/api/v1/runs/{entity}/{project}/{id}/events': { summary: "A run's state changes, oldest first (resumes, restart attempts and rewinds: the segments of a run)", params: RUN },
  '/api/v1/runs/{entity}/{project}/{id}/system': { summary: "A run's system metric samples, oldest first", params: [...RUN, p('limit', 'at most this many (default 10000)', int(1, 100_000))] },
  '/api/v1/runs/{entity}/{project}/{id}/stream': {
    summary: 'Server-sent events: `run` (the run, as GET run) when it changes, `history` ({ fromStep, toStep }) when rows were added',
    params: RUN,
    type: 'text/event-stream',
  },
  '/api/v1/runs/{entity}/{project}/{id}/files': { summary: "A run's files (saved files and logged media, `media/...`)", params: RUN },
  '/api/v1/runs/{entity}/{project}/{id}/files/{path}': {
    summary: "One file's bytes, with the Content-Type of its extension (images, audio, video, JSON, text; HTML under `Content-Security-Policy: sandbox`; else an octet-stream attachment) and `X-Content-Type-Options: nosniff`; `output.log` is the console capture",
    params: [...RUN, path('path')],
    type: '*/*',
  },
  '/api/v1/runs/{entity}/{project}/{id}/console': { summary: "A run's console lines", params: [...RUN, p('after', 'after this line id (default 0)', int(0)), p('limit', 'at most this many (≤ 10000)', int(0, 10_000))] },
  '/api/v1/runs/{entity}/{project}/{id}/artifacts': { summary: 'Artifact versions the run logged and used', params: RUN },
  '/api/v1/series/{entity}/{project}': {
    summary: "One metric of many runs in one request (the project workspace's chart of a key), each bucketed as a run's series",
    params: [path('entity'), path('project'), p('runs', `comma-separated run ids, 1 to ${MAX_SERIES_RUNS}`), p('key', 'the leaf path of one metric'), p('buckets', 'buckets over the x-range (default 1000)', int(1, 100_000)), p('xAxis', '_step (default), _runtime, _timestamp or a step metric'), p('band', "0: each run's x and last only, no min–max band (default 1)", { type: 'string', enum: ['0', '1'] }), ...STEPS],
  },
  '/api/v1/groups/{entity}/{project}': { summary: 'Training groups of a project', params: [path('entity'), path('project')] },
  '/api/v1/groups/{entity}/{project}/{group}': { summary: 'A group: members, states, which ranks ended and when', params: GROUP },
  '/api/v1/groups/{entity}/{project}/{group}/history': { summary: "A group's aggregates by step (mean, min, max, count over ranks)", params: [...GROUP, p('keys', 'comma-separated leaf paths'), ...STEPS] },
  '/api/v1/artifacts/{entity}/{project}': { summary: 'Artifacts of a project (registered models: project `model-registry`)', params: [path('entity'), path('project')] },
  '/api/v1/artifacts/{entity}/{project}/{name}': { summary: "An artifact's versions", params: [path('entity'), path('project'), path('name')] },
  '/api/v1/artifacts/{entity}/{project}/{name}/{alias}': { summary: 'One committed version by alias or `vN`: files and lineage', params: [path('entity'), path('project'), path('name'), path('alias')] },
  '/api/v1/blobs/{digest}': { summary: "A blob's bytes by sha256 (octet-stream attachment, immutable)", params: [path('digest')], type: 'application/octet-stream' },
  '/api/v1/alerts/deliveries': { summary: 'Alert delivery records (`dead`: the dead letters), oldest first', params: [p('state', 'claimed, delivered or dead')] },
  '/api/v1/sweeps/{entity}/{project}': { summary: "A project's sweeps, newest first (docs/sweeps.md; the POST routes that create and drive them are there too)", params: [path('entity'), path('project')] },
  '/api/v1/sweeps/{entity}/{project}/{sweep}': {
    summary: 'A sweep: its state, config, trials (their runs, parameters, metrics), the best run and the importance of each parameter',
    params: [path('entity'), path('project'), path('sweep')],
  },
};

/**
 * Every GET route of the HTTP API: the source of docs/openapi.json, and the
 * gate of the handler (`matchApiRoute`): an `/api/` path that no entry
 * matches is a 404 before any handler sees it, so the API is this table.
 */
export const API_ROUTES: readonly ApiRoute[] = (Object.keys(ROUTE_DOCS) as HttpRoute[]).map((path) => ({ path, ...ROUTE_DOCS[path], schema: HTTP_ROUTES[path] }));

const compiled = API_ROUTES.map((r) => ({ route: r, parts: r.path.split('/').slice(1) }));

/** The {@link API_ROUTES} entry a pathname (`/api/v1/...`, still URL-encoded) matches, or undefined. */
export function matchApiRoute(pathname: string): ApiRoute | undefined {
  const seg = pathname.split('/').slice(1);
  if (seg.length > 0 && seg[seg.length - 1] === '') seg.pop();
  for (const { route, parts } of compiled) {
    const rest = parts[parts.length - 1] === '{path}';
    if (rest ? seg.length < parts.length : seg.length !== parts.length) continue;
    if (parts.every((part, i) => (part.startsWith('{') ? seg[i] !== '' : part === seg[i]))) return route;
  }
  return undefined;
}

/** Throws NOT_FOUND for an `/api/` path outside {@link API_ROUTES}. */
export function checkApiRoute(pathname: string): void {
  if (!matchApiRoute(pathname)) throw new CohortError('NOT_FOUND', `no route for ${JSON.stringify(pathname)}; see docs/http-api.md`);
}

/** The OpenAPI 3.1 document of the HTTP API (docs/openapi.json). */
export function openApiDocument(version: string): Record<string, unknown> {
  const error = { description: 'an error naming what was wrong (docs/errors.md)', content: { 'application/json': { schema: httpJsonSchema(errorBodySchema) } } };
  const paths: Record<string, unknown> = {};
  for (const r of API_ROUTES) {
    paths[r.path] = {
      get: {
        summary: r.summary,
        parameters: r.params,
        responses: {
          '200': { description: 'OK', content: { [r.type ?? 'application/json']: { schema: httpJsonSchema(r.schema) } } },
          '400': error,
          '404': error,
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Cohort HTTP API', version, description: 'Read-only JSON API of the Cohort coordinator (docs/http-api.md). Generated from the zod schemas in packages/protocol/src/http/ (@cohort/protocol) and the route table in apps/coordinator/src/http-schemas.ts.' },
    paths,
  };
}
