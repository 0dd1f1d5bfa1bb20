import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CohortError } from '@cohort/protocol';
import { Api } from './api.js';

/**
 * The SDK parses every answer with its route's schema (@cohort/protocol's
 * HTTP_ROUTES): a server that answers another shape (an older or a foreign
 * one, here a plain HTTP server) is a clear error naming the route and the
 * field, never an object that breaks later.
 */
describe('Api against a server whose answers do not match the API', () => {
  let server: Server;
  let baseUrl: string;
  const run = { id: 'r1', entity: 'e', project: 'p', path: 'e/p/r1', name: 'r1', state: 'sleeping', exitCode: null, group: '', jobType: '', rank: null, worldSize: null, localRank: null, node: '', summary: {}, config: {}, tags: [], notes: '', startTime: 1, endTime: null, heartbeatAt: null, runtime: 0, lastStep: null, appliedSeq: 0, sweepId: '', host: '', mode: 'online', resumed: false, forkedFrom: '', metrics: [], url: '' };
  const answers: Record<string, unknown> = {
    '/api/v1/info': { version: '0', grpcAddress: 'h:1', httpUrl: 'http://h' },
    '/api/v1/runs/e/p/r1': run,
    '/api/v1/runs/e/p/r2': { ...run, id: 'r2', state: 'finished' },
    '/api/v1/runs/e/p/r2/series': { xAxis: '_step', buckets: 10, series: { loss: { x: [0, 1], min: [1, 'NaN'], max: [1, 1], last: [1, 1], points: 2, downsampled: false } } },
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const body = answers[new URL(req.url ?? '/', 'http://x').pathname];
      res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body ?? { error: { code: 'NOT_FOUND', message: 'no route' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('names the request, the route and the field', async () => {
    const api = new Api({ baseUrl });
    const err = await api.run('e/p/r1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CohortError);
    expect((err as CohortError).code).toBe('INTERNAL');
    expect((err as CohortError).message).toMatch(/^GET \/api\/v1\/runs\/e\/p\/r1 \(\/api\/v1\/runs\/\{entity\}\/\{project\}\/\{id\}\): the response does not match the API .*: state: /);
    await expect(api.defaultEntity()).rejects.toThrow(/GET \/api\/v1\/info \(\/api\/v1\/info\): .*defaultEntity: /);
    const good = await api.run('e/p/r2');
    expect(good.state).toBe('finished');
    await expect(good.series()).rejects.toThrow(/\/series\): .*series\.loss\.min\[1\]: expected a number/);
  });
});
