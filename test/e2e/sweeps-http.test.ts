import { describe, expect, inject, it } from 'vitest';
import { startCoordinator } from '@cohort/coordinator';
import { Engine } from '@cohort/engine';
import { openPostgresStore } from '@cohort/store';
import { embeddedServer } from '../harness/embedded-server.js';
import { createTestDatabase } from '../harness/postgres-service.js';
import { teamKey } from '../harness/team-key.js';

/**
 * The sweep routes over HTTP against a real coordinator (docs/sweeps.md):
 * config errors all at once, one trial per suggestion under concurrent
 * agents, the sweep's controls and its view.
 */
describe('sweep routes', () => {
  const server = embeddedServer('file');
  const post = async (path: string, body: unknown = {}) => {
    const res = await fetch(`${server.coordinator.httpUrl}/api/v1/sweeps/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const get = async (path: string) => (await (await fetch(`${server.coordinator.httpUrl}/api/v1/sweeps/${path}`)).json()) as Record<string, any>;

  it('refuses a bad config naming every path and rule at once', async () => {
    const bad = await post('local/p', { method: 'grdi', parameters: { lr: { min: 1 }, bs: { values: [] } }, metric: { goal: 'up' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_ARGUMENT');
    for (const path of ['method', 'parameters.lr', 'parameters.bs', 'metric.name', 'metric.goal']) expect(bad.body.error.message).toContain(path);
    const notJson = await fetch(`${server.coordinator.httpUrl}/api/v1/sweeps/local/p`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'method: grid' });
    expect(notJson.status).toBe(400);
    expect((await post('local/p/nope/next', { agent: '' })).status).toBe(400);
  });

  it('hands 50 concurrent /next calls 50 distinct trials, then waits, then is done', async () => {
    const values = Array.from({ length: 50 }, (_, i) => i);
    const created = await post('local/p', { method: 'grid', program: 'train.py', metric: { name: 'loss', goal: 'minimize' }, parameters: { x: { values } } });
    expect(created.status).toBe(200);
    const { id, url } = created.body;
    expect(url).toBe(`${server.coordinator.httpUrl}/local/p/sweeps/${id}`);
    const answers = await Promise.all(values.map((i) => post(`local/p/${id}/next`, { agent: `agent-${i}`, heartbeatSeconds: 60 })));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const trials = answers.map((a) => a.body);
    expect(new Set(trials.map((t) => t.trialId)).size).toBe(50);
    expect(new Set(trials.map((t) => t.params.x)).size).toBe(50);
    expect(trials[0]!.command).toEqual(['/usr/bin/env', 'python', 'train.py', `--x=${trials[0]!.params.x}`]);
    expect(trials[0]!.runGroup).toBe(trials[0]!.trialId);
    // Every point is taken while trials run: wait.
    expect((await post(`local/p/${id}/next`, { agent: 'late' })).body).toMatchObject({ wait: true, state: 'running' });
    expect((await post(`local/p/${id}/trials/${trials[0]!.trialId}/heartbeat`)).body).toEqual({ stop: false });
    await Promise.all(trials.map((t) => post(`local/p/${id}/trials/${t.trialId}/end`, { exitCode: t.params.x === 3 ? 1 : 0 })));
    expect((await post(`local/p/${id}/next`, { agent: 'late' })).body).toEqual({ done: true, state: 'finished' });
    const view = await get(`local/p/${id}`);
    expect(view).toMatchObject({ id, entity: 'local', project: 'p', state: 'finished', metric: { name: 'loss', goal: 'minimize' }, bestRunId: null });
    expect(view.trials).toHaveLength(50);
    expect(view.trials.filter((t: { state: string }) => t.state === 'failed')).toHaveLength(1);
    expect(Object.keys(view.trials[0]).sort()).toEqual(['endedAt', 'metric', 'params', 'runGroup', 'runId', 'startedAt', 'state', 'trialId']);
    expect((await get('local/p')).sweeps).toContainEqual({ id, state: 'finished', createdAt: view.createdAt, method: 'grid', metric: 'loss', trials: 50 });
  });

  it('pauses (twice is once), resumes and cancels; cancel stops running trials on their heartbeat', async () => {
    const { id } = (await post('local/p', { method: 'random', program: 'train.py', parameters: { lr: { min: 0.001, max: 0.1 } } })).body;
    const trial = (await post(`local/p/${id}/next`, { agent: 'a' })).body;
    expect(trial.params.lr).toBeGreaterThanOrEqual(0.001);
    expect((await post(`local/p/${id}/pause`)).body).toEqual({ id, state: 'paused' });
    expect((await post(`local/p/${id}/next`, { agent: 'a' })).body).toMatchObject({ wait: true, state: 'paused' });
    expect((await post(`local/p/${id}/pause`)).body).toEqual({ id, state: 'paused' });
    expect((await post(`local/p/${id}/resume`)).body).toEqual({ id, state: 'running' });
    expect((await post(`local/p/${id}/cancel`)).body).toEqual({ id, state: 'canceled' });
    expect((await post(`local/p/${id}/trials/${trial.trialId}/heartbeat`)).body).toEqual({ stop: true });
    expect((await post(`local/p/${id}/trials/${trial.trialId}/end`, { exitCode: 143 })).body).toMatchObject({ state: 'stopped' });
    expect((await post(`local/p/${id}/next`, { agent: 'a' })).body).toEqual({ done: true, state: 'canceled' });
    const refused = await post(`local/p/${id}/resume`);
    expect([refused.status, refused.body.error.code]).toEqual([409, 'FAILED_PRECONDITION']);
    expect((await post(`local/p/${id}/trials/${id}-99/heartbeat`)).status).toBe(404);
    expect((await post('local/p/nope/pause')).status).toBe(404);
  });

  it('acts as one controller across two coordinators on one Postgres: 60 agents asking both at once get 60 distinct trials', async () => {
    await using db = await createTestDatabase(inject('databaseUrl'));
    const engines = [new Engine(await openPostgresStore(db.url)), new Engine(await openPostgresStore(db.url))];
    const coordinators = await Promise.all(engines.map((engine) => startCoordinator({ engine, grpcPort: 0, httpPort: 0 })));
    try {
      const at = (i: number, path: string, body: unknown) =>
        fetch(`${coordinators[i % 2]!.httpUrl}/api/v1/sweeps/local/p${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(
          async (r) => (await r.json()) as Record<string, any>,
        );
      const { id } = await at(0, '', { method: 'random', run_cap: 60, program: 'train.py', parameters: { lr: { min: 0.001, max: 0.1 } } });
      const trials = await Promise.all(Array.from({ length: 70 }, (_, i) => at(i, `/${id}/next`, { agent: `a${i}` })));
      const given = trials.filter((t) => typeof t['trialId'] === 'string');
      expect(given).toHaveLength(60);
      expect(new Set(given.map((t) => t['trialId'])).size).toBe(60);
      expect(trials.filter((t) => t['wait'] === true)).toHaveLength(10);
    } finally {
      for (const c of coordinators) await c.close();
      for (const e of engines) await e.close();
    }
  });

  it('with API keys: a team drives its own sweeps and cannot see or touch another team\'s', async () => {
    const keyed = await startCoordinator({ auth: 'keys', grpcPort: 0, httpPort: 0, webDir: null });
    try {
      const [a, b] = [await teamKey(keyed, 'ann', 'team-a'), await teamKey(keyed, 'bob', 'team-b')];
      const call = async (key: string | undefined, method: string, path: string, body?: unknown) => {
        const res = await fetch(`${keyed.httpUrl}/api/v1/sweeps/${path}`, {
          method,
          headers: { 'content-type': 'application/json', ...(key !== undefined && { authorization: `Bearer ${key}` }) },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        });
        return { status: res.status, body: (await res.json()) as Record<string, any> };
      };
      const created = await call(a, 'POST', 'team-a/p', { method: 'grid', program: 'train.py', parameters: { x: { values: [1] } } });
      expect(created.status).toBe(200);
      const id = created.body['id'] as string;
      expect((await call(undefined, 'POST', 'team-a/p', { method: 'grid', parameters: { x: { values: [1] } } })).status).toBe(401);
      expect((await call(b, 'POST', `team-a/p/${id}/next`, { agent: 'b' })).status).toBe(404);
      expect((await call(b, 'GET', `team-a/p/${id}`)).status).toBe(404);
      expect((await call(b, 'POST', 'team-a/p', { method: 'grid', parameters: { x: { values: [1] } } })).status).toBe(404);
      expect((await call(a, 'POST', `team-a/p/${id}/next`, { agent: 'a' })).body['params']).toEqual({ x: 1 });
    } finally {
      await keyed.close();
    }
  });
});
