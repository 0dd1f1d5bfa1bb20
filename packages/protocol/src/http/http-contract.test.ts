import { describe, expect, it } from 'vitest';
import { CohortError } from '../errors.js';
import { parseJson } from '../json.js';
import { HTTP_ROUTES, httpPath } from './routes.js';
import { seriesResultSchema } from './series.js';
import { httpJsonSchema, parseHttpBody } from './values.js';

describe('the HTTP contract', () => {
  it('fills a route template, encoding each segment (and each segment of {path})', () => {
    expect(httpPath('/api/v1/runs/{entity}/{project}/{id}/files/{path}', { entity: 'a b', project: 'p/q', id: 'x', path: 'media/a b.png' })).toBe('/api/v1/runs/a%20b/p%2Fq/x/files/media/a%20b.png');
  });

  it('parses NaN and ±Infinity as numbers once parseJson revived them', () => {
    const body = parseJson('{"xAxis":"_step","buckets":2,"series":{"loss":{"x":[1,2],"min":[{"$cohort":"NaN"},1],"max":[{"$cohort":"Infinity"},1],"last":[{"$cohort":"-Infinity"},1],"points":2,"downsampled":false}}}');
    const parsed = parseHttpBody(seriesResultSchema, body, 'GET /s');
    expect(parsed.series['loss']?.min[0]).toBeNaN();
    expect(parsed.series['loss']?.last[0]).toBe(-Infinity);
  });

  it('names the request and the field of a body that does not match', () => {
    const body = { xAxis: '_step', buckets: 2, series: { loss: { x: [1], min: ['1'], max: [1], last: [1], points: 1, downsampled: false } } };
    expect(() => parseHttpBody(seriesResultSchema, body, 'GET /api/v1/runs/a/b/c/series')).toThrow(CohortError);
    expect(() => parseHttpBody(seriesResultSchema, body, 'GET /api/v1/runs/a/b/c/series')).toThrow(/^GET \/api\/v1\/runs\/a\/b\/c\/series: the response does not match the API .*: series\.loss\.min\[0\]: expected a number$/);
  });

  it('writes every route as JSON Schema, any-number fields as numbers', () => {
    for (const schema of Object.values(HTTP_ROUTES)) expect(() => httpJsonSchema(schema)).not.toThrow();
    const data = (httpJsonSchema(seriesResultSchema) as { properties: { series: { additionalProperties: { properties: { min: { items: Record<string, unknown> } } } } } }).properties.series.additionalProperties;
    expect(data.properties.min.items).toMatchObject({ type: 'number' });
  });
});
