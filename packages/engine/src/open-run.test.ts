import { describe, expect, it } from 'vitest';
import { FakeClock, RUN, RecordLog, makeEngine, openRequest } from './testing/fixtures.js';

describe('Engine.openRun', () => {
  it('creates a run in the default entity with a generated id', async () => {
    await using engine = makeEngine();
    const res = await engine.openRun(openRequest({ runId: '', configJson: '{"lr":0.1}', tags: ['t'] }));
    expect(res.entity).toBe('local');
    expect(res.runId).toMatch(/^[a-z0-9]{8}$/);
    expect(res).toMatchObject({ resumed: false, startingStep: 0, runtimeOffset: 0, appliedSeq: 0, state: 'running', tags: ['t'] });
    const run = await engine.getRun({ ...RUN, runId: res.runId });
    expect(run).toMatchObject({ path: `local/proj/${res.runId}`, config: { lr: 0.1 }, rank: null, exitCode: null, lastStep: null });
  });

  it('validates names, resume modes and exclusive options', async () => {
    await using engine = makeEngine();
    await expect(engine.openRun(openRequest({ project: 'a/b' }))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(engine.openRun(openRequest({ runId: 'a?b' }))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(engine.openRun(openRequest({ resume: 'sometimes' }))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(engine.openRun(openRequest({ resume: 'allow', forkFrom: 'x?_step=1' }))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('resume and forkFrom'),
    });
    await expect(engine.openRun(openRequest({ configJson: '[1]' }))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('refuses an existing id without resume, and with never; must needs the run', async () => {
    await using engine = makeEngine();
    await expect(engine.openRun(openRequest({ resume: 'must' }))).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    await engine.openRun(openRequest());
    await expect(engine.openRun(openRequest())).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    await expect(engine.openRun(openRequest({ resume: 'never' }))).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    expect((await engine.openRun(openRequest({ resume: 'must' }))).resumed).toBe(true);
  });

  it('creates with allow and auto when missing, resumes when present', async () => {
    await using engine = makeEngine();
    expect((await engine.openRun(openRequest({ resume: 'allow' }))).resumed).toBe(false);
    expect((await engine.openRun(openRequest({ resume: 'auto' }))).resumed).toBe(true);
    expect((await engine.openRun(openRequest({ runId: 'other', resume: 'auto' }))).resumed).toBe(false);
  });

  it('continues step, runtime, seq, summary and config on resume', async () => {
    const clock = new FakeClock();
    await using engine = makeEngine(clock);
    await engine.openRun(openRequest({ configJson: '{"lr":0.1,"bs":8}', tags: ['a'] }));
    const log = new RecordLog();
    await engine.applyBatch(RUN, [
      log.metric('loss', { summary: 'min' }),
      log.rows([
        { step: 0, data: { loss: 3 }, runtime: 5 },
        { step: 7, data: { loss: 1 }, runtime: 40 },
      ]),
      log.preempting(),
    ]);
    clock.t += 60;
    await engine.applyBatch(RUN, [log.exit(143)]);
    expect((await engine.getRun(RUN))!.state).toBe('preempted');
    const res = await engine.openRun(openRequest({ resume: 'allow', configJson: '{"lr":0.2}' }));
    expect(res).toMatchObject({ resumed: true, startingStep: 8, runtimeOffset: 60, appliedSeq: 4, state: 'running', tags: ['a'] });
    expect(JSON.parse(res.configJson)).toEqual({ lr: 0.2, bs: 8 });
    expect(JSON.parse(res.summaryStateJson)).toHaveProperty('definitions');
    const resumedLog = new RecordLog(res.appliedSeq);
    await engine.applyBatch(RUN, [resumedLog.rows([{ step: 8, data: { loss: 2 }, runtime: 61 }])]);
    const run = await engine.getRun(RUN);
    expect(run).toMatchObject({ resumed: true, lastStep: 8, state: 'running', exitCode: null, endTime: null, runtime: 61 });
    expect(run!.summary['loss']).toEqual({ min: 1 });
    const tagged = await engine.openRun(openRequest({ resume: 'must', tags: ['b'] }));
    expect(tagged.tags).toEqual(['b']);
  });

  it('forks: a new run with history and summary up to the step', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest({ configJson: '{"lr":0.1}' }));
    const log = new RecordLog();
    await engine.applyBatch(RUN, [
      log.metric('loss', { summary: 'max' }),
      log.log(0, { loss: 1, note: 'a' }, { loss: 5 }, { loss: 2 }, { loss: 9, note: 'b' }),
    ]);
    await expect(engine.openRun(openRequest({ forkFrom: 'run1?_step=2' }))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(engine.openRun(openRequest({ runId: 'f', forkFrom: 'run1?_step=9' }))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(engine.openRun(openRequest({ runId: 'f', forkFrom: 'nope?_step=1' }))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const res = await engine.openRun(openRequest({ runId: 'f', forkFrom: 'run1?_step=2', configJson: '{"bs":4}' }));
    expect(res).toMatchObject({ runId: 'f', resumed: false, startingStep: 3, runtimeOffset: 2, appliedSeq: 0 });
    const fork = { ...RUN, runId: 'f' };
    expect((await engine.history(fork)).map((r) => [r['_step'], r['loss'], r['note']])).toEqual([
      [0, 1, 'a'],
      [1, 5, undefined],
      [2, 2, undefined],
    ]);
    const view = await engine.getRun(fork);
    expect(view).toMatchObject({ config: { lr: 0.1, bs: 4 }, lastStep: 2, forkedFrom: 'run1?_step=2' });
    expect(view!.summary).toMatchObject({ loss: { max: 5 }, note: 'a', _step: 2 });
    // The source is untouched.
    expect(await engine.history(RUN)).toHaveLength(4);
    await engine.applyBatch(fork, [new RecordLog().log(3, { loss: 7 })]);
    expect((await engine.getRun(fork))!.summary['loss']).toEqual({ max: 7 });
  });

  it('rewinds with resumeFrom: history after the step is gone and the summary recomputed', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest());
    const log = new RecordLog();
    const rows = Array.from({ length: 5000 }, (_, i) => ({ step: i, data: { x: i, ...(i % 1000 === 0 && { tag: `t${i}` }) } }));
    await engine.applyBatch(RUN, [log.metric('x', { summary: 'max' }), log.rows(rows), log.exit(0)]);
    await expect(engine.openRun(openRequest({ runId: 'other', resumeFrom: 'run1?_step=2500' }))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const res = await engine.openRun(openRequest({ resumeFrom: 'run1?_step=2500' }));
    expect(res).toMatchObject({ resumed: true, startingStep: 2501, appliedSeq: 3, state: 'running' });
    const hist = await engine.history(RUN);
    expect(hist).toHaveLength(2501);
    expect(hist[2500]).toMatchObject({ _step: 2500, x: 2500 });
    expect(hist.filter((r) => r['tag'] !== undefined).map((r) => r['tag'])).toEqual(['t0', 't1000', 't2000']);
    const view = await engine.getRun(RUN);
    expect(view).toMatchObject({ lastStep: 2500, state: 'running', summary: { x: { max: 2500 }, tag: 't2000', _step: 2500 } });
    await engine.applyBatch(RUN, [new RecordLog(res.appliedSeq).log(2501, { x: 1 })]);
    expect((await engine.history(RUN, { keys: ['x'], minStep: 2499 })).map((r) => r['x'])).toEqual([2499, 2500, 1]);
  });

  it('records state changes as run events', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest());
    await engine.applyBatch(RUN, [new RecordLog().exit(1)]);
    await engine.openRun(openRequest({ resume: 'allow' }));
    expect((await engine.runEvents(RUN)).map((e) => e.state)).toEqual(['running', 'failed', 'running']);
  });

  it('marks runs without heartbeats crashed, or preempted when preempting', async () => {
    const clock = new FakeClock();
    await using engine = makeEngine(clock);
    await engine.openRun(openRequest());
    await engine.openRun(openRequest({ runId: 'p' }));
    await engine.openRun(openRequest({ runId: 'alive' }));
    await engine.applyBatch({ ...RUN, runId: 'p' }, [new RecordLog().preempting()]);
    clock.t += 100;
    await engine.heartbeat({ ...RUN, runId: 'alive' }, clock.t);
    const expired = await engine.expireStaleRuns(60);
    expect(expired.map((r) => [r.runId, r.state])).toEqual([
      ['run1', 'crashed'],
      ['p', 'preempted'],
    ]);
    expect((await engine.getRun({ ...RUN, runId: 'alive' }))!.runtime).toBe(100);
    await engine.heartbeat(RUN, clock.t + 1);
    expect((await engine.getRun(RUN))!.state).toBe('running');
  });
});
