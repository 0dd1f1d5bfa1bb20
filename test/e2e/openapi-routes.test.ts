import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES, matchApiRoute, startCoordinator, type Coordinator } from '@cohort/coordinator';
import { Image, init } from '@cohort/sdk';

const quiet = { silent: true, flushIntervalMs: 5 } as const;

/**
 * docs/openapi.json against the route table the handler is gated by
 * (`API_ROUTES`): every route is documented, every documented route answers
 * on a real coordinator, and a path outside the table is a 404.
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
    const run = await init({ project: 'routes', group: 'g', rank: 0, worldSize: 1, dir: join(runsDir, 'r'), settings: quiet });
    run.log({ loss: 1, img: new Image([[1, 2]]) });
    const file = join(runsDir, 'data.txt');
    await writeFile(file, 'hello');
    await run.logArtifact(file, { name: 'data', type: 'dataset' });
    const img = run.summary.get('img') as { path: string; sha256: string };
    await run.finish();
    Object.assign(values, { id: run.id, path: img.path, digest: img.sha256 });
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

  it('answers every route of the table with 200', async () => {
    for (const route of API_ROUTES) {
      const url = `${coordinator.httpUrl}${route.path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'path' ? values[name]! : encodeURIComponent(values[name]!)))}${route.path === '/api/v1/series/{entity}/{project}' ? `?runs=${values['id']!}&key=loss` : ''}`;
      const controller = new AbortController();
      const res = await fetch(url, { signal: controller.signal });
      const status = res.status;
      controller.abort();
      expect(status, `${route.path} → ${url}`).toBe(200);
    }
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
