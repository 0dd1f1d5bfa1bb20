import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { teamKey } from '../harness/team-key.js';
import { MAX_SERIES_RUNS } from '@cohort/engine';
import { withRun } from '@cohort/sdk';

/** `GET /api/v1/series/:entity/:project` (docs/http-api.md): one key of many runs in one request, bounded. */
describe('the series of many runs for one key', () => {
  let dataDir: string;
  let runsDir: string;
  let coordinator: Coordinator;
  const ids: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cohort-rs-data-'));
    runsDir = await mkdtemp(join(tmpdir(), 'cohort-rs-runs-'));
    coordinator = await startCoordinator({ dataDir, grpcPort: 0, httpPort: 0 });
    process.env['COHORT_URL'] = coordinator.httpUrl;
    for (let r = 0; r < 3; r++) {
      await withRun({ project: 'rs', dir: join(runsDir, String(r)), settings: { silent: true, systemMetricsSeconds: 0, console: 'off' } }, (run) => {
        ids.push(run.id);
        for (let s = 0; s < 50; s++) run.log(r === 2 ? { other: s } : { loss: r * 100 + s });
      });
    }
  });
  afterAll(async () => {
    await coordinator?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(runsDir, { recursive: true, force: true });
  });

  interface Body {
    key: string;
    buckets: number;
    runs: Record<string, { downsampled: boolean; points: number; x: number[]; min: number[]; max: number[] }>;
    missing: string[];
    error: { message: string };
  }
  const get = async (query: string): Promise<{ status: number; body: Body }> => {
    const res = await fetch(`${coordinator.httpUrl}/api/v1/series/local/rs?${query}`);
    return { status: res.status, body: (await res.json()) as Body };
  };

  it('answers every run that logged the key, and names the runs that do not exist', async () => {
    const { status, body } = await get(`runs=${[...ids, 'nosuchrun'].join(',')}&key=loss&buckets=10`);
    expect(status).toBe(200);
    expect(body.key).toBe('loss');
    expect(body.buckets).toBe(10);
    expect(Object.keys(body.runs)).toEqual([ids[0], ids[1]]);
    expect(body.missing).toEqual(['nosuchrun']);
    const one = body.runs[ids[1]!];
    expect(one!.downsampled).toBe(true);
    expect(one!.points).toBe(50);
    expect(one!.max.at(-1)).toBe(149);
    expect(Math.min(...one!.min)).toBe(100);
  });

  it('leaves out the band with band=0: each run its x and last', async () => {
    const { body } = await get(`runs=${ids[1]!}&key=loss&buckets=10&band=0`);
    expect(Object.keys(body.runs[ids[1]!]!).sort()).toEqual(['downsampled', 'last', 'points', 'x']);
    expect(body.runs[ids[1]!]!.x).toHaveLength(10);
    const bad = await get(`runs=${ids[1]!}&key=loss&band=yes`);
    expect([bad.status, bad.body.error.message]).toEqual([400, expect.stringContaining('`band`')]);
  });

  it('draws against another x-axis: relative time, or a metric (points without it left out)', async () => {
    const runtime = await get(`runs=${ids.join(',')}&key=loss&xAxis=_runtime`);
    expect(Object.keys(runtime.body.runs)).toEqual([ids[0], ids[1]]);
    const x = runtime.body.runs[ids[0]!]!.x;
    expect(x).toHaveLength(50);
    expect(x.every((v, i) => i === 0 || v >= x[i - 1]!)).toBe(true);
    // `other` was logged by another run only: no run has loss against it.
    expect((await get(`runs=${ids.join(',')}&key=loss&xAxis=other`)).body.runs).toEqual({});
  });

  it('refuses too many runs, no runs and no key with the field and the rule', async () => {
    const many = Array.from({ length: MAX_SERIES_RUNS + 1 }, (_, i) => `r${i}`).join(',');
    const tooMany = await get(`runs=${many}&key=loss`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toContain(`runs`);
    expect(tooMany.body.error.message).toContain(`at most ${MAX_SERIES_RUNS}`);
    const noRuns = await get('key=loss');
    expect([noRuns.status, noRuns.body.error.message]).toEqual([400, expect.stringContaining('`runs`: required')]);
    const noKey = await get(`runs=${ids[0]!}`);
    expect([noKey.status, noKey.body.error.message]).toEqual([400, expect.stringContaining('`key`: required')]);
  });
});

/** The route names an entity in its path: a key of another team reads nothing there (docs/SECURITY.md). */
describe('the series of many runs with API keys', () => {
  let coordinator: Coordinator;
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'cohort-rs-keys-'));
    coordinator = await startCoordinator({ auth: 'keys', grpcPort: 0, httpPort: 0, webDir: null });
  });
  afterAll(async () => {
    await coordinator?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('answers the team that owns the runs and no other', async () => {
    const alice = await teamKey(coordinator, 'alice', 'vision');
    const bob = await teamKey(coordinator, 'bob', 'nlp');
    process.env['COHORT_URL'] = coordinator.httpUrl;
    let id = '';
    await withRun({ project: 'p', entity: 'vision', apiKey: alice, dir: join(work, 'run'), settings: { silent: true, systemMetricsSeconds: 0, console: 'off' } }, (run) => {
      id = run.id;
      run.log({ loss: 1 });
    });
    const ask = (key: string) => fetch(`${coordinator.httpUrl}/api/v1/series/vision/p?runs=${id}&key=loss`, { headers: { authorization: `Bearer ${key}` } });
    const own = await ask(alice);
    expect(own.status).toBe(200);
    expect(Object.keys(((await own.json()) as { runs: Record<string, unknown> }).runs)).toEqual([id]);
    const other = await ask(bob);
    expect(other.status).toBe(404);
    expect(await other.text()).not.toContain('loss');
  });
});
