import { HTTP_ROUTES, httpPath, parseHttpBody, type HttpBody, type HttpRoute, type RouteParams } from '@cohort/protocol';
import type { HttpClient } from './http-client.js';

/**
 * `GET` of an API route with its `{names}` filled in, the body parsed with
 * the route's schema (@cohort/protocol's `HTTP_ROUTES`): a body that does not
 * match is INTERNAL naming the request, the route and the field.
 *
 * @example
 * const run = await apiGet(http, '/api/v1/runs/{entity}/{project}/{id}', { entity: 'local', project: 'mnist', id: 'abc' });
 * run.state; // 'running' | 'finished' | ...
 */
export async function apiGet<R extends HttpRoute>(
  http: HttpClient,
  route: R,
  params: Readonly<Record<RouteParams<R>, string>>,
  query: Record<string, string | number | undefined> = {},
): Promise<HttpBody<R>> {
  const path = httpPath(route, params);
  return parseHttpBody(HTTP_ROUTES[route], await http.get(path, query), `GET ${path} (${route})`) as HttpBody<R>;
}
