import { describe, expect, it } from 'vitest';
import { RUN, RecordLog, makeEngine, openRequest } from './testing/fixtures.js';

describe('Engine queries', () => {
  it('lists projects and runs with filters', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest({ runId: 'a', group: 'g', jobType: 'train', tags: ['x', 'y'], configJson: '{"opt":{"lr":0.1},"bs":8}' }));
    await engine.openRun(openRequest({ runId: 'b', group: 'g', tags: ['x'], configJson: '{"opt":{"lr":0.2}}' }));
    await engine.openRun(openRequest({ runId: 'c', project: 'other' }));
    await engine.applyBatch({ ...RUN, runId: 'b' }, [new RecordLog().log(0, { acc: 0.9 }), new RecordLog(1).exit(0)]);
    expect((await engine.listProjects()).map((p) => [p.entity, p.project, p.runCount])).toEqual([
      ['local', 'other', 1],
      ['local', 'proj', 2],
    ]);
    const ids = async (f: Parameters<typeof engine.listRuns>[2]) => (await engine.listRuns('local', 'proj', f)).runs.map((r) => r.id).sort();
    expect(await ids({})).toEqual(['a', 'b']);
    expect(await ids({ state: 'finished' })).toEqual(['b']);
    expect(await ids({ state: ['running', 'finished'] })).toEqual(['a', 'b']);
    expect(await ids({ group: 'g', jobType: 'train' })).toEqual(['a']);
    expect(await ids({ tags: ['x', 'y'] })).toEqual(['a']);
    expect(await ids({ config: { 'opt.lr': 0.2 } })).toEqual(['b']);
    expect(await ids({ config: { bs: 8 } })).toEqual(['a']);
    expect(await ids({ summary: { acc: 0.9 } })).toEqual(['b']);
    await expect(ids({ state: 'sleeping' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('answers undefined or NOT_FOUND for unknown runs', async () => {
    await using engine = makeEngine();
    expect(await engine.getRun(RUN)).toBeUndefined();
    await expect(engine.history(RUN)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(engine.heartbeat(RUN, 1)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(engine.appliedSeq(RUN)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('lets shared-mode writers join the primary run', async () => {
    await using engine = makeEngine();
    const primary = await engine.openRun(openRequest({ mode: 'shared', label: 'rank-0', primary: true }));
    const writer = await engine.openRun(openRequest({ mode: 'shared', label: 'rank-1' }));
    expect(writer).toMatchObject({ runId: primary.runId, resumed: false, state: 'running' });
    expect(await engine.appliedSeq(RUN)).toBe(0);
  });

  it('keeps a seq per shared-mode writer, so writers never skip each other', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest({ mode: 'shared', label: 'rank-0', primary: true }));
    const w0 = new RecordLog();
    const w1 = new RecordLog();
    await engine.applyBatch({ ...RUN, writer: 'rank-0' }, [w0.rows([{ step: 0, data: { a: 1 } }], 'rank-0'), w0.rows([{ step: 0, data: { a: 2 } }], 'rank-0')]);
    const joined = await engine.openRun(openRequest({ mode: 'shared', label: 'rank-1' }));
    expect(joined.appliedSeq).toBe(0);
    const batch = [w1.rows([{ step: 0, data: { b: 1 } }], 'rank-1')];
    expect((await engine.applyBatch({ ...RUN, writer: 'rank-1' }, batch)).appliedSeq).toBe(1);
    expect((await engine.applyBatch({ ...RUN, writer: 'rank-1' }, batch)).appliedSeq).toBe(1);
    expect(await engine.appliedSeq({ ...RUN, writer: 'rank-0' })).toBe(2);
    expect((await engine.openRun(openRequest({ mode: 'shared', label: 'rank-0' }))).appliedSeq).toBe(2);
    expect((await engine.history(RUN)).map((r) => [r['_step'], r['a'] ?? r['b']])).toEqual([
      [0, 1],
      [1, 2],
      [2, 1],
    ]);
  });

  it('refuses calls after close', async () => {
    const engine = makeEngine();
    await engine.close();
    await engine.close();
    await expect(engine.getRun(RUN)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });
});
