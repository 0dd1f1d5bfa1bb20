import type { z } from 'zod';
import { alertDeliveriesSchema } from './alerts.js';
import { artifactsSchema, artifactVersionSchema, artifactVersionsSchema, runArtifactsSchema } from './artifacts.js';
import { groupHistorySchema, groupSchema, groupsSchema } from './groups.js';
import { historyPageSchema, historySchema } from './history.js';
import { alertsSchema, consoleSchema, runFilesSchema, stateHistorySchema, systemSchema } from './run-logs.js';
import { runPageSchema, runWithUrlSchema } from './runs.js';
import { runsSeriesSchema, seriesResultSchema } from './series.js';
import { healthSchema, projectsSchema, serverInfoSchema, sessionSchema } from './server.js';
import { sweepSchema, sweepsSchema } from './sweeps.js';
import { bytesSchema } from './values.js';

/**
 * Every GET route of the HTTP API and the schema of its 200 body: the
 * coordinator's route table documents each (docs/openapi.json), the tests
 * parse real answers with these, and the SDK parses what it receives. A path
 * template names its segments `{name}`; `{path}` is the rest of the path.
 */
export const HTTP_ROUTES = {
  '/api/v1/info': serverInfoSchema,
  '/api/v1/health': healthSchema,
  '/api/v1/session': sessionSchema,
  '/api/v1/projects': projectsSchema,
  '/api/v1/runs/{entity}/{project}': runPageSchema,
  '/api/v1/runs/{entity}/{project}/{id}': runWithUrlSchema,
  '/api/v1/runs/{entity}/{project}/{id}/history': historySchema,
  '/api/v1/runs/{entity}/{project}/{id}/history/scan': historyPageSchema,
  '/api/v1/runs/{entity}/{project}/{id}/series': seriesResultSchema,
  '/api/v1/runs/{entity}/{project}/{id}/alerts': alertsSchema,
  '/api/v1/runs/{entity}/{project}/{id}/state-history': stateHistorySchema,
  '/api/v1/runs/{entity}/{project}/{id}/events': stateHistorySchema,
  '/api/v1/runs/{entity}/{project}/{id}/system': systemSchema,
  '/api/v1/runs/{entity}/{project}/{id}/stream': bytesSchema,
  '/api/v1/runs/{entity}/{project}/{id}/files': runFilesSchema,
  '/api/v1/runs/{entity}/{project}/{id}/files/{path}': bytesSchema,
  '/api/v1/runs/{entity}/{project}/{id}/console': consoleSchema,
  '/api/v1/runs/{entity}/{project}/{id}/artifacts': runArtifactsSchema,
  '/api/v1/series/{entity}/{project}': runsSeriesSchema,
  '/api/v1/groups/{entity}/{project}': groupsSchema,
  '/api/v1/groups/{entity}/{project}/{group}': groupSchema,
  '/api/v1/groups/{entity}/{project}/{group}/history': groupHistorySchema,
  '/api/v1/artifacts/{entity}/{project}': artifactsSchema,
  '/api/v1/artifacts/{entity}/{project}/{name}': artifactVersionsSchema,
  '/api/v1/artifacts/{entity}/{project}/{name}/{alias}': artifactVersionSchema,
  '/api/v1/blobs/{digest}': bytesSchema,
  '/api/v1/alerts/deliveries': alertDeliveriesSchema,
  '/api/v1/sweeps/{entity}/{project}': sweepsSchema,
  '/api/v1/sweeps/{entity}/{project}/{sweep}': sweepSchema,
} as const satisfies Record<`/api/v1/${string}`, z.ZodType>;

/** The path template of a route: `/api/v1/runs/{entity}/{project}/{id}`. */
export type HttpRoute = keyof typeof HTTP_ROUTES;

/** The 200 body of a route, as its schema parses it. */
export type HttpBody<R extends HttpRoute> = z.output<(typeof HTTP_ROUTES)[R]>;

/** A value with every array and object read-only. */
export type DeepReadonly<T> = T extends ReadonlyArray<infer E> ? ReadonlyArray<DeepReadonly<E>> : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** What a server may answer for a route: its body, read-only (a handler never needs to mutate what it sends). */
export type HttpAnswer<R extends HttpRoute> = DeepReadonly<HttpBody<R>>;

/** The `{names}` of a path template. */
export type RouteParams<R extends string> = R extends `${string}{${infer P}}${infer Rest}` ? P | RouteParams<Rest> : never;

/**
 * The path of a route with its segments filled in, each URL-encoded
 * (`{path}`: each of its `/`-separated segments).
 *
 * @example
 * httpPath('/api/v1/runs/{entity}/{project}/{id}', { entity: 'local', project: 'a b', id: 'x' }); // '/api/v1/runs/local/a%20b/x'
 */
export function httpPath<R extends HttpRoute>(route: R, params: Readonly<Record<RouteParams<R>, string>>): string {
  const values = params as Readonly<Record<string, string>>;
  return route.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = values[name] ?? '';
    return name === 'path' ? value.split('/').map(encodeURIComponent).join('/') : encodeURIComponent(value);
  });
}
