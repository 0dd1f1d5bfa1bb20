import { describe, expect, it } from 'vitest';
import { CohortError } from '@cohort/protocol';
import { FakeClock, RUN, RecordLog, makeEngine, openRequest } from './testing/fixtures.js';

describe('Engine.applyBatch', () => {
  it('applies a batch once: a resent batch changes nothing', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest());
    const log = new RecordLog();
    const batch = [log.log(0, { loss: 1 }, { loss: 0.5 }), log.summary({ best: 3 })];
    expect((await engine.applyBatch(RUN, batch)).appliedSeq).toBe(2);
    const before = await engine.getRun(RUN);
    expect((await engine.applyBatch(RUN, batch)).appliedSeq).toBe(2);
    expect(await engine.getRun(RUN)).toEqual(before);
    expect((await engine.history(RUN)).map((r) => r['loss'])).toEqual([1, 0.5]);
  });

  it('applies only the new tail of a partly applied batch', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest());
    const log = new RecordLog();
    const a = log.log(0, { x: 1 });
    const b = log.log(1, { x: 2 });
    await engine.applyBatch(RUN, [a]);
    expect((await engine.applyBatch(RUN, [a, b])).appliedSeq).toBe(2);
    expect((await engine.history(RUN)).map((r) => r['x'])).toEqual([1, 2]);
  });

  it('rejects a gap naming both seqs', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest());
    const log = new RecordLog();
    log.log(0, { x: 1 });
    const third = log.log(1, { x: 2 });
    const err = await engine.applyBatch(RUN, [third]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CohortError);
    expect((err as CohortError).code).toBe('FAILED_PRECONDITION');
    expect((err as CohortError).message).toContain('expected seq 1');
    expect((err as CohortError).message).toContain('got seq 2');
  });

  it('answers NOT_FOUND for an unknown run', async () => {
    await using engine = makeEngine();
    await expect(engine.applyBatch(RUN, [new RecordLog().log(0, { x: 1 })])).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('keeps the default summary: the latest value of every leaf, automatic keys included', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest());
    const log = new RecordLog();
    await engine.applyBatch(RUN, [log.log(0, { a: { b: 1 }, s: 'x' }, { a: { b: 2 } })]);
    const run = await engine.getRun(RUN);
    expect(run?.summary).toMatchObject({ a: { b: 2 }, s: 'x', _step: 1, _runtime: 1 });
    expect(run?.lastStep).toBe(1);
  });

  it('aggregates as defineMetric asks (docs/run-semantics.md §2 cases 4, 7, 9, 10)', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest());
    const log = new RecordLog();
    await engine.applyBatch(RUN, [
      log.metric('val', { summary: 'mean' }),
      log.metric('x', { summary: 'min,max,mean,last,first' }),
      log.metric('train/*', { summary: 'max' }),
      log.metric('nan', { summary: 'mean' }),
      log.log(0, { val: 1, x: 1, 'train/l': 1, 'val/l': 1, nan: 2 }, { val: 8, x: 3.0, 'train/l': 3, 'val/l': 0, nan: NaN }),
      log.log(2, { val: 3, x: 2.3, nan: 4 }),
    ]);
    const s = (await engine.getRun(RUN))!.summary;
    expect(s['val']).toEqual({ mean: 4 });
    expect(s['x']).toEqual({ min: 1, max: 3, mean: 2.1, last: 2.3, first: 1 });
    expect(s['train/l']).toEqual({ max: 3 });
    expect(s['val/l']).toBe(0);
    expect((s['nan'] as { mean: number }).mean).toBeNaN();
  });

  it('keeps aggregates across batches (the state is stored, not the client)', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest());
    const log = new RecordLog();
    await engine.applyBatch(RUN, [log.metric('loss', { summary: 'min', goal: 'minimize' }), log.log(0, { loss: 1 })]);
    await engine.applyBatch(RUN, [log.log(1, { loss: 0.2 })]);
    await engine.applyBatch(RUN, [log.log(2, { loss: 0.7 })]);
    expect((await engine.getRun(RUN))!.summary['loss']).toEqual({ min: 0.2 });
  });

  it('stores the stepSync insertions in history (docs/run-semantics.md §2 case 6)', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest());
    const log = new RecordLog();
    await engine.applyBatch(RUN, [
      log.metric('val', { summary: 'min', stepMetric: 'mystep', stepSync: true }),
      log.log(0, { val: 2, val2: 5, mystep: 1 }, { mystep: 3 }, { val: 8 }, { val2: 8 }, { val: 3, mystep: 5 }),
    ]);
    const rows = await engine.history(RUN);
    expect(rows[2]).toMatchObject({ _step: 2, val: 8, mystep: 3 });
    expect(rows[3]!['mystep']).toBeUndefined();
    const s = (await engine.getRun(RUN))!.summary;
    expect(s['val']).toEqual({ min: 2 });
    expect(s['mystep']).toBe(5);
    expect(s['val2']).toBe(8);
  });

  it('applies summary sets and deletes', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest());
    const log = new RecordLog();
    await engine.applyBatch(RUN, [log.log(0, { a: 1, b: 2 }), log.summary({ 'c.d': 5 }, ['b'])]);
    const s = (await engine.getRun(RUN))!.summary;
    expect(s['c']).toEqual({ d: 5 });
    expect(s['b']).toBeUndefined();
    expect(s['a']).toBe(1);
  });

  it('drops rows at or below the last stored step and counts them', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest());
    const log = new RecordLog();
    await engine.applyBatch(RUN, [log.log(0, { x: 1 }, { x: 2 })]);
    const res = await engine.applyBatch(RUN, [log.rows([{ step: 1, data: { x: 9 } }, { step: 2, data: { x: 3 } }])]);
    expect(res.droppedRows).toBe(1);
    expect((await engine.history(RUN)).map((r) => r['x'])).toEqual([1, 2, 3]);
    expect((await engine.getRun(RUN))!.summary['x']).toBe(3);
  });

  it('assigns steps to shared-mode rows after the last step', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest({ mode: 'shared' }));
    const log = new RecordLog();
    await engine.applyBatch(RUN, [log.rows([{ step: 0, data: { x: 1 } }, { step: 0, data: { x: 2 } }], 'rank-1')]);
    await engine.applyBatch(RUN, [log.rows([{ step: 0, data: { y: 1 } }], 'rank-2')]);
    const rows = await engine.history(RUN);
    expect(rows.map((r) => r['_step'])).toEqual([0, 1, 2]);
    expect((await engine.getRun(RUN))!.summary['_step']).toBe(2);
  });

  it('rejects a config change without allowValChange and applies the rest of the batch', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest({ configJson: '{"lr":0.1}' }));
    const log = new RecordLog();
    const res = await engine.applyBatch(RUN, [log.config({ lr: 0.2 }), log.config({ batch: 32 }), log.log(0, { x: 1 })]);
    expect(res.appliedSeq).toBe(3);
    expect(res.rejected.map((r) => [r.seq, r.error.code])).toEqual([[1, 'INVALID_ARGUMENT']]);
    expect(res.rejected[0]!.error.message).toContain('lr');
    expect((await engine.getRun(RUN))!.config).toEqual({ lr: 0.1, batch: 32 });
    await engine.applyBatch(RUN, [log.config({ lr: 0.2 }, true), log.config({}, false, ['batch'])]);
    expect((await engine.getRun(RUN))!.config).toEqual({ lr: 0.2 });
  });

  it('moves through exit states, preempting then non-zero exit giving preempted', async () => {
    const clock = new FakeClock();
    await using engine = makeEngine(clock);
    for (const [id, records, state] of [
      ['ok', (l: RecordLog) => [l.exit(0)], 'finished'],
      ['bad', (l: RecordLog) => [l.exit(2)], 'failed'],
      ['pre', (l: RecordLog) => [l.preempting(), l.exit(143)], 'preempted'],
      ['pre0', (l: RecordLog) => [l.preempting(), l.exit(0)], 'finished'],
      ['writer', (l: RecordLog) => [l.exit(1, false)], 'running'],
    ] as const) {
      await engine.openRun(openRequest({ runId: id }));
      clock.t += 10;
      await engine.applyBatch({ ...RUN, runId: id }, records(new RecordLog()));
      const run = await engine.getRun({ ...RUN, runId: id });
      expect(run?.state, id).toBe(state);
    }
    const pre = await engine.getRun({ ...RUN, runId: 'pre' });
    expect(pre?.exitCode).toBe(143);
    expect(pre?.endTime).toBe(1_700_000_030);
    expect(pre?.runtime).toBe(10);
    expect((await engine.runEvents({ ...RUN, runId: 'pre' })).map((e) => e.state)).toEqual(['running', 'preempting', 'preempted']);
  });

  it('keeps a run its sweep stopped stopped when the exit its SIGTERM caused comes after', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest());
    const run = (await engine.store.findRun(RUN))!;
    await engine.store.updateRun(run.pk, { state: 'stopped' }, { event: { state: 'stopped', at: 1, detail: 'stopped by sweep s (trial s-1)' } });
    await engine.applyBatch(RUN, [new RecordLog().exit(143)]);
    expect((await engine.getRun(RUN))?.state).toBe('stopped');
  });

  it('suppresses an alert with the same title within its wait duration', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest());
    const log = new RecordLog();
    await engine.applyBatch(RUN, [log.alert('hot', 1000), log.alert('hot', 1030), log.alert('cold', 1031)]);
    await engine.applyBatch(RUN, [log.alert('hot', 1059), log.alert('hot', 1061), log.alert('hot', 1070, 5000)]);
    const alerts = await engine.alerts(RUN);
    expect(alerts.map((a) => [a.title, a.timestamp, a.suppressed])).toEqual([
      ['hot', 1000, false],
      ['hot', 1030, true],
      ['cold', 1031, false],
      ['hot', 1059, true],
      ['hot', 1061, false],
      ['hot', 1070, false],
    ]);
  });

  it('suppresses alerts across the ranks of a group', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest({ runId: 'r0', group: 'g' }));
    await engine.openRun(openRequest({ runId: 'r1', group: 'g' }));
    await engine.applyBatch({ ...RUN, runId: 'r0' }, [new RecordLog().alert('oom', 100)]);
    await engine.applyBatch({ ...RUN, runId: 'r1' }, [new RecordLog().alert('oom', 110)]);
    expect((await engine.alerts({ ...RUN, runId: 'r1' }))[0]!.suppressed).toBe(true);
  });

  it('updates name, notes and tags', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest({ tags: ['a'] }));
    await engine.applyBatch(RUN, [{ seq: 1, kind: 'runUpdate', runUpdate: { name: 'nice', tags: { tags: ['b', 'c'] } } }]);
    const run = await engine.getRun(RUN);
    expect([run?.name, run?.tags, run?.notes]).toEqual(['nice', ['b', 'c'], '']);
  });

  it('lets only one of two concurrent appliers of the same batch commit', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest());
    const log = new RecordLog();
    const batch = [log.log(0, { x: 1 }, { x: 2 })];
    const results = await Promise.all([engine.applyBatch(RUN, batch), engine.applyBatch(RUN, batch)]);
    expect(results.map((r) => r.appliedSeq)).toEqual([1, 1]);
    expect(await engine.history(RUN)).toHaveLength(2);
  });
});
