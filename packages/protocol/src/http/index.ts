/**
 * The HTTP API's contract: one zod schema per response body, one file per
 * resource, and {@link HTTP_ROUTES} (routes.ts) mapping every GET route to
 * its schema. The coordinator's route table documents these
 * (docs/openapi.json), the tests parse real answers with them, the SDK parses
 * what it receives, the engine's views are their `z.infer` types and the web
 * app imports those types (`import type` only: no zod in its bundle).
 *
 * To add a route: write its body's schema (and `export type X = z.infer<...>`)
 * in the resource's file here (a new resource: a new file, exported below);
 * add `'/api/v1/<path>': schema` to HTTP_ROUTES; then the coordinator does
 * not compile until its route table (apps/coordinator/src/http-schemas.ts)
 * documents the route; answer it in the handler, run `node
 * scripts/openapi.mjs`, and test/e2e/openapi-routes.test.ts calls it and
 * parses the answer (give it the data it needs).
 */
export { bytesSchema, httpJsonSchema, parseHttpBody } from './values.js';
export * from './server.js';
export * from './runs.js';
export * from './history.js';
export * from './series.js';
export * from './run-logs.js';
export * from './groups.js';
export * from './artifacts.js';
export * from './alerts.js';
export * from './sweeps.js';
export * from './routes.js';
