import { describe, expect, it } from 'vitest';
import { CohortError, UsageError, init, syncRunDir, type Run } from '@cohort/sdk';
import { embeddedServer } from '../harness/embedded-server.js';

const quiet = { silent: true, flushIntervalMs: 5 } as const;

describe('the SDK against a real coordinator', () => {
  const server = embeddedServer('test');

  it('reads back exactly the rows and summary an online run logged', async () => {
    const run = await init({ project: 'e2e-online', dir: server.runsDir, config: { lr: 0.1 }, settings: quiet });
    run.defineMetric('loss', { summary: 'min,max' });
    for (let i = 0; i < 25; i++) run.log({ loss: 10 - i, nested: { acc: i / 10 }, phase: i % 2 ? 'b' : 'a' });
    run.log({ weird: NaN }, { step: 30 });
    run.config.update({ batch: 64 });
    run.name = 'renamed';
    run.tags = ['t1'];
    const localSummary = run.summary.toJSON();
    await run.finish();

    const back = await server.api.run(`${run.entity}/e2e-online/${run.id}`);
    expect(back.state).toBe('finished');
    expect(back.config).toMatchObject({ lr: 0.1, batch: 64 });
    expect(back.name).toBe('renamed');
    expect(back.tags).toEqual(['t1']);
    expect((await server.api.projects()).map((p) => p.project)).toContain('e2e-online');
    expect(back.summary).toMatchObject({ loss: { min: -14, max: 10 }, nested: { acc: 2.4 }, phase: 'a', _step: 30 });
    expect(Number.isNaN((back.summary as { weird: number }).weird)).toBe(true);
    expect(back.summary['loss']).toEqual(localSummary['loss']);
    const rows = [];
    for await (const row of back.scanHistory({ pageSize: 7 })) rows.push(row);
    expect(rows.map((r) => r['_step'])).toEqual([...Array.from({ length: 25 }, (_, i) => i), 30]);
    expect(rows[3]).toMatchObject({ loss: 7, nested: { acc: 0.3 }, phase: 'b' });
    const sampled = await back.history({ keys: ['loss'] });
    expect(sampled).toHaveLength(25);
    expect((await server.api.runs('e2e-online')).map((r) => r.id)).toContain(run.id);
    expect(run.getUrl()).toBe(back.url);
  });

  it('finish waits for the server to commit everything', async () => {
    const run = await init({ project: 'e2e-finish', dir: server.runsDir, settings: { silent: true, flushIntervalMs: 1000 } });
    for (let i = 0; i < 1000; i++) run.log({ i });
    await run.finish();
    const back = await server.api.run(`${run.entity}/e2e-finish/${run.id}`);
    expect(back.lastStep).toBe(999);
    expect(back.state).toBe('finished');
  });

  it('reports status numbers from the acks', async () => {
    const run = await init({ project: 'e2e-status', dir: server.runsDir, settings: quiet });
    run.log({ a: 1 });
    run.log({ a: 2 });
    await run.flush();
    const status = run.status();
    expect(status.syncItemsTotal).toBe(1);
    expect(status.syncItemsPending).toBe(0);
    expect(status.syncTime).toBeInstanceOf(Date);
    await run.finish();
  });

  it('uploads an offline run with syncRunDir', async () => {
    const run = await init({ project: 'e2e-offline', dir: server.runsDir, mode: 'offline', settings: quiet });
    for (let i = 0; i < 10; i++) run.log({ x: i * i });
    run.summary.set('note', 'hello');
    await run.finish(0);
    const results = await syncRunDir(server.runsDir);
    expect(results).toEqual([{ runDir: run.dir, runId: run.id, records: 3, outcome: 'uploaded' }]);
    const back = await server.api.run(`e2e-offline/${run.id}`);
    expect(back.state).toBe('finished');
    expect(back.summary).toMatchObject({ x: 81, note: 'hello', _step: 9 });
    const rows = [];
    for await (const row of back.scanHistory()) rows.push(row);
    expect(rows.map((r) => r['x'])).toEqual(Array.from({ length: 10 }, (_, i) => i * i));
    // A second sync has nothing left to upload.
    expect(await syncRunDir(run.dir)).toEqual([{ runDir: run.dir, runId: run.id, records: 0, outcome: 'up-to-date' }]);
  });

  it('follows resume must, never and allow with the starting step', async () => {
    const id = `res${Date.now().toString(36)}`;
    await expect(init({ project: 'e2e-resume', id, resume: 'must', dir: server.runsDir, settings: quiet })).rejects.toBeInstanceOf(UsageError);
    const first = await init({ project: 'e2e-resume', id, resume: 'never', dir: server.runsDir, settings: quiet });
    for (let i = 0; i < 5; i++) first.log({ v: i });
    first.defineMetric('v', { summary: 'max' });
    await first.finish(1);
    await expect(init({ project: 'e2e-resume', id, resume: 'never', dir: server.runsDir, settings: quiet })).rejects.toBeInstanceOf(UsageError);
    const second: Run = await init({ project: 'e2e-resume', id, resume: 'must', dir: server.runsDir, settings: quiet });
    expect(second.resumed).toBe(true);
    expect(second.startingStep).toBe(5);
    expect(second.step).toBe(5);
    expect(second.summary.get('v')).toEqual({ max: 4 });
    second.log({ v: 2 });
    expect(second.summary.get('v')).toEqual({ max: 4 });
    await second.finish();
    const third = await init({ project: 'e2e-resume', id, resume: 'allow', dir: server.runsDir, settings: quiet });
    expect(third.startingStep).toBe(6);
    await third.finish();
    const back = await server.api.run(`e2e-resume/${id}`);
    expect(back.lastStep).toBe(5);
    expect(back.state).toBe('finished');
  });

  it('maps server errors to CohortError codes', async () => {
    await expect(server.api.run('nobody/nothing/none')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(server.api.run('nobody/nothing/none')).rejects.toBeInstanceOf(CohortError);
  });
});
