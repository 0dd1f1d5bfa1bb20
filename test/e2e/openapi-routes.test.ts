import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES, matchApiRoute, startCoordinator, type Coordinator } from '@cohort/coordinator';
import { httpPath, parseHttpBody, parseJson, type HttpRoute, type RouteParams } from '@cohort/protocol';
import { Image, init } from '@cohort/sdk';

const quiet = { silent: true, flushIntervalMs: 5 } as const;

/**
 * docs/openapi.json against the route table the handler is gated by
 * (`API_ROUTES`): every route is documented, every documented route answers
 * on a real coordinator with a body its schema (@cohort/protocol's
 * HTTP_ROUTES) parses, and a path outside the table is a 404.
 */
describe('the OpenAPI document and the route table', () => {
  let dataDir: string;
  let runsDir: string;
  let coordinator: Coordinator;
  const values: Record<string, string> = { entity: 'local', project: 'routes', group: 'g', name: 'data', alias: 'latest' };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cohort-routes-data-'));
    runsDir = await mkdtemp(join(tmpdir(), 'cohort-routes-runs-'));
    coordinator = await startCoordinator({ dataDir, grpcPort: 0, httpPort: 0 });
    process.env['COHORT_URL'] = coordinator.httpUrl;
    const run = await init({ project: 'routes', group: 'g', rank: 0, worldSize: 1, dir: join(runsDir, 'r'), config: { lr: 0.1 }, settings: quiet });
    run.defineMetric('acc', { stepMetric: 'epoch' });
    run.log({ loss: 1, img: new Image([[1, 2]]) });
    // NaN and ±Infinity travel as {"$cohort":...} tags: the schemas see numbers.
    run.log({ loss: NaN, acc: Infinity, epoch: 1 });
    run.log({ loss: 0.5, acc: -Infinity, epoch: 2 });
    run.alert('slow', 'it is slow');
    const file = join(runsDir, 'data.txt');
    await writeFile(file, 'hello');
    await run.logArtifact(file, { name: 'data', type: 'dataset' });
    const img = run.summary.get('img') as { path: string; sha256: string };
    await run.finish();
    Object.assign(values, { id: run.id, path: img.path, digest: img.sha256 });
    // A sweep with one trial taken (docs/sweeps.md).
    const post = async (path: string, body: unknown) =>
      (await (await fetch(`${coordinator.httpUrl}/api/v1/sweeps/local/routes${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as { id: string };
    values['sweep'] = (await post('', { method: 'grid', program: 'train.py', metric: { name: 'loss', goal: 'minimize' }, parameters: { lr: { values: [0.1, 0.01] } } })).id;
    await post(`/${values['sweep']}/next`, { agent: 'routes' });
  });
  afterAll(async () => {
    await coordinator?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(runsDir, { recursive: true, force: true });
  });

  it('documents every route of the table, and nothing else', () => {
    const doc = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8')) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).sort()).toEqual(API_ROUTES.map((r) => r.path).sort());
  });

  it('answers every route of the table with 200 and a body its schema parses', async () => {
    const query: Partial<Record<HttpRoute, string>> = { '/api/v1/series/{entity}/{project}': `?runs=${values['id']!}&key=loss`, '/api/v1/runs/{entity}/{project}': '?fields=config,summary' };
    const bodies = new Map<HttpRoute, unknown>();
    for (const route of API_ROUTES) {
      const url = `${coordinator.httpUrl}${httpPath(route.path, values as Record<RouteParams<HttpRoute>, string>)}${query[route.path] ?? ''}`;
      const controller = new AbortController();
      const res = await fetch(url, { signal: controller.signal });
      expect(res.status, `${route.path} → ${url}`).toBe(200);
      if (route.type !== undefined) {
        controller.abort();
        continue;
      }
      // Throws naming the route and the first field that does not match.
      bodies.set(route.path, parseHttpBody(route.schema, parseJson(await res.text()), `GET ${url}`));
    }
    // The data behind the bodies is real: the parsed arrays are not empty.
    const body = <T>(route: HttpRoute): T => bodies.get(route) as T;
    expect(body<{ runs: unknown[] }>('/api/v1/runs/{entity}/{project}').runs).toHaveLength(1);
    expect(body<{ metrics: unknown[] }>('/api/v1/runs/{entity}/{project}/{id}').metrics).toContainEqual(expect.objectContaining({ name: 'acc', stepMetric: 'epoch' }));
    expect(body<{ rows: unknown[] }>('/api/v1/runs/{entity}/{project}/{id}/history').rows).toContainEqual(expect.objectContaining({ loss: NaN, acc: Infinity }));
    // Series skip points that are not finite.
    expect(body<{ series: Record<string, { last: number[] }> }>('/api/v1/runs/{entity}/{project}/{id}/series').series['loss']?.last).toEqual([1, 0.5]);
    expect(body<{ alerts: unknown[] }>('/api/v1/runs/{entity}/{project}/{id}/alerts').alerts).toHaveLength(1);
    expect(body<{ files: unknown[] }>('/api/v1/runs/{entity}/{project}/{id}/files').files.length).toBeGreaterThan(0);
    expect(body<{ logged: unknown[] }>('/api/v1/runs/{entity}/{project}/{id}/artifacts').logged).toHaveLength(1);
    expect(body<{ members: unknown[] }>('/api/v1/groups/{entity}/{project}/{group}').members).toHaveLength(1);
    expect(body<{ rows: unknown[] }>('/api/v1/groups/{entity}/{project}/{group}/history').rows.length).toBeGreaterThan(0);
    expect(body<{ files: unknown[] }>('/api/v1/artifacts/{entity}/{project}/{name}/{alias}').files).toHaveLength(1);
    expect(body<{ trials: unknown[] }>('/api/v1/sweeps/{entity}/{project}/{sweep}').trials).toHaveLength(1);
    expect(body<{ sweeps: unknown[] }>('/api/v1/sweeps/{entity}/{project}').sweeps).toHaveLength(1);
  });

  it('refuses a path outside the table with 404, though a handler would have taken it', async () => {
    expect(matchApiRoute('/api/v1/runs/local/routes/x/files')?.path).toBe('/api/v1/runs/{entity}/{project}/{id}/files');
    expect(matchApiRoute('/api/v1/runs/local/routes/x/files/a/b.png')?.path).toBe('/api/v1/runs/{entity}/{project}/{id}/files/{path}');
    for (const path of ['/api/v1/runs/local/routes/x/nope', '/api/v1/blobs', '/api/v1/alerts', '/api/v2/info']) {
      const res = await fetch(`${coordinator.httpUrl}${path}`);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain('no route');
    }
  });
});
