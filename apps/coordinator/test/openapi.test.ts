import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HTTP_ROUTES } from '@cohort/protocol';
import { API_ROUTES, openApiDocument } from '../src/index.js';

describe('docs/openapi.json', () => {
  it('is the document the zod schemas generate (run `node scripts/openapi.mjs` after a change)', () => {
    const file = JSON.parse(readFileSync(new URL('../../../docs/openapi.json', import.meta.url), 'utf8')) as unknown;
    expect(file).toEqual(JSON.parse(JSON.stringify(openApiDocument('0.1.0'))));
  });

  it("documents the routes of @cohort/protocol's HTTP_ROUTES, each with its schema there", () => {
    expect(API_ROUTES.map((r) => r.path)).toEqual(Object.keys(HTTP_ROUTES));
    for (const route of API_ROUTES) expect(route.schema, route.path).toBe(HTTP_ROUTES[route.path]);
  });
});
