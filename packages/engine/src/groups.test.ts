import { describe, expect, it } from 'vitest';
import { FakeClock, RecordLog, makeEngine, openRequest } from './testing/fixtures.js';
import { stepRate } from './group-view.js';

const G = { entity: 'local', project: 'proj', group: 'job-1' };
const member = (rank: number, over: Parameters<typeof openRequest>[0] = {}) =>
  openRequest({ runId: `r${rank}`, group: 'job-1', rank, worldSize: 4, localRank: rank % 2, node: `node-${rank >> 1}`, resume: 'allow', ...over });
const key = (rank: number) => ({ entity: 'local', project: 'proj', runId: `r${rank}` });

/** mean/min/max/count of the given values, computed here, not by the engine. */
function expected(values: number[]) {
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, min: Math.min(...values), max: Math.max(...values), count: values.length };
}

describe('group registry and aggregation', () => {
  it('registers the group with its world size, primary and members', async () => {
    await using engine = makeEngine();
    for (const r of [0, 1, 2]) await engine.openRun(member(r));
    const g = await engine.group(G);
    expect(g).toMatchObject({ worldSize: 4, primaryRank: 0, primaryRunId: 'r0', state: 'running' });
    expect(g.members.map((m) => [m.rank, m.node, m.state])).toEqual([
      [0, 'node-0', 'running'],
      [1, 'node-0', 'running'],
      [2, 'node-1', 'running'],
    ]);
    expect((await engine.listGroups('local', 'proj')).map((x) => x.group)).toEqual(['job-1']);
    await expect(engine.group({ ...G, group: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('takes an explicit primary rank', async () => {
    await using engine = makeEngine();
    await engine.openRun(member(0));
    await engine.openRun(member(3, { primary: true }));
    expect((await engine.group(G)).primaryRank).toBe(3);
  });

  it('keeps mean, min, max and count per metric and step over the ranks that logged it, late ranks included', async () => {
    await using engine = makeEngine();
    const logs = [0, 1, 2].map(() => new RecordLog());
    for (const r of [0, 1, 2]) await engine.openRun(member(r));
    const value = (r: number, s: number) => (r + 1) * 10 + s / 4;
    // Ranks 0 and 1 log steps 0..9 in two batches; rank 2 logs late, and skips odd steps of `acc`.
    for (const r of [0, 1]) {
      await engine.applyBatch(key(r), [logs[r]!.rows(Array.from({ length: 5 }, (_, s) => ({ step: s, data: { loss: value(r, s), acc: s, label: 'x' } })))]);
    }
    for (const r of [0, 1]) {
      await engine.applyBatch(key(r), [logs[r]!.rows(Array.from({ length: 5 }, (_, i) => ({ step: i + 5, data: { loss: value(r, i + 5), acc: i + 5, nan: NaN } })))]);
    }
    await engine.applyBatch(key(2), [logs[2]!.rows(Array.from({ length: 10 }, (_, s) => ({ step: s, data: { loss: value(2, s), ...(s % 2 === 0 && { acc: s }) } })))]);

    const rows = await engine.groupHistory(G);
    expect(rows.map((r) => r._step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const row of rows) {
      const s = row._step;
      expect(row['loss']).toEqual(expected([0, 1, 2].map((r) => value(r, s))));
      expect(row['acc']).toEqual(expected(s % 2 === 0 ? [s, s, s] : [s, s]));
      expect(row['label']).toBeUndefined(); // strings do not aggregate
      expect(row['nan']).toBeUndefined(); // non-finite values do not count
      expect(row['_timestamp']).toBeUndefined();
    }
    expect(await engine.groupHistory(G, { keys: ['acc'], minStep: 3, maxStep: 4 })).toEqual([
      { _step: 3, acc: expected([3, 3]) },
      { _step: 4, acc: expected([4, 4, 4]) },
    ]);
  });

  it('rewinds a restarted rank that replays steps, rebuilding the aggregates without gaps or duplicates', async () => {
    await using engine = makeEngine();
    for (const r of [0, 1]) await engine.openRun(member(r));
    const logs = [new RecordLog(), new RecordLog()];
    for (const r of [0, 1]) await engine.applyBatch(key(r), [logs[r]!.rows(Array.from({ length: 10 }, (_, s) => ({ step: s, data: { loss: 100 * r + s } })))]);
    // Rank 1 restarts (attempt 1) from a checkpoint at step 6 and logs steps 6..11 again with new values.
    const reopened = await engine.openRun(member(1, { restartAttempt: 1 }));
    expect(reopened).toMatchObject({ resumed: true, startingStep: 10 });
    const res = await engine.applyBatch(key(1), [logs[1]!.rows(Array.from({ length: 6 }, (_, i) => ({ step: 6 + i, data: { loss: 1000 + i } })))]);
    expect(res.droppedRows).toBe(0);
    const history = await engine.history(key(1), { keys: ['loss'] });
    expect(history.map((r) => r['_step'])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(history.map((r) => r['loss'])).toEqual([100, 101, 102, 103, 104, 105, 1000, 1001, 1002, 1003, 1004, 1005]);
    expect((await engine.getRun(key(1)))!.summary).toMatchObject({ loss: 1005, _step: 11 });
    const events = await engine.runEvents(key(1));
    expect(events.map((e) => e.detail)).toEqual(expect.arrayContaining(['restart attempt 1 started at step 10', expect.stringMatching(/^rewound to step 5: restart attempt 1 replays steps from 6/)]));
    const agg = await engine.groupHistory(G, { keys: ['loss'] });
    expect(agg.map((r) => r._step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(agg[7]!['loss']).toEqual(expected([7, 1001]));
    expect(agg[11]!['loss']).toEqual(expected([1005]));
    // Only the first rows of an attempt rewind: later, lower steps are dropped as usual.
    const late = await engine.applyBatch(key(1), [logs[1]!.rows([{ step: 3, data: { loss: -1 } }])]);
    expect(late.droppedRows).toBe(1);
    // The same attempt reopening (a reconnect) arms nothing.
    await engine.openRun(member(1, { restartAttempt: 1 }));
    expect((await engine.applyBatch(key(1), [logs[1]!.rows([{ step: 2, data: { loss: -1 } }])])).droppedRows).toBe(1);
  });

  it('aggregates across chunk boundaries and rebuilds from the middle of a chunk after a rewind', async () => {
    await using engine = makeEngine();
    for (const r of [0, 1, 2]) await engine.openRun(member(r));
    const logs = [0, 1, 2].map(() => new RecordLog());
    // Rank r logs every (r + 1)th step of 0..2599, in batches of 500 steps.
    const v = (r: number, s: number) => Math.sin(r * 7 + s) * 100;
    for (let from = 0; from < 2600; from += 500) {
      for (const r of [0, 1, 2]) {
        const steps = Array.from({ length: 500 }, (_, i) => from + i).filter((s) => s < 2600 && s % (r + 1) === 0);
        await engine.applyBatch(key(r), [logs[r]!.rows(steps.map((s) => ({ step: s, data: { x: v(r, s) } })))]);
      }
    }
    await engine.openRun(member(1, { resume: '', resumeFrom: 'r1?_step=1500' }));
    const rows = await engine.groupHistory(G, { keys: ['x'] });
    expect(rows).toHaveLength(2600);
    for (const row of rows) {
      const s = row._step;
      const ranks = [0, 1, 2].filter((r) => s % (r + 1) === 0 && !(r === 1 && s > 1500));
      expect(row['x']).toEqual({ ...expected(ranks.map((r) => v(r, s))), mean: expect.closeTo(expected(ranks.map((r) => v(r, s))).mean, 9) });
    }
    expect(await engine.groupHistory(G, { minStep: 999, maxStep: 1001 })).toHaveLength(3);
  });

  it('rebuilds the aggregates when a member is rewound with resumeFrom', async () => {
    await using engine = makeEngine();
    for (const r of [0, 1]) await engine.openRun(member(r));
    const logs = [new RecordLog(), new RecordLog()];
    for (const r of [0, 1]) await engine.applyBatch(key(r), [logs[r]!.rows(Array.from({ length: 6 }, (_, s) => ({ step: s, data: { x: r + s } })))]);
    await engine.openRun(member(1, { resume: '', resumeFrom: 'r1?_step=2' }));
    const agg = await engine.groupHistory(G);
    expect(agg.map((r) => (r['x'] as { count: number }).count)).toEqual([2, 2, 2, 1, 1, 1]);
    expect(agg[4]!['x']).toEqual(expected([4]));
  });
});

describe('group states, crashes and preemption', () => {
  it('shows which rank died and when, and derives the group state', async () => {
    const clock = new FakeClock();
    await using engine = makeEngine(clock);
    for (const r of [0, 1, 2]) await engine.openRun(member(r));
    const logs = [0, 1, 2].map(() => new RecordLog());
    await engine.applyBatch(key(2), [logs[2]!.preempting()]);
    clock.t += 30;
    await engine.heartbeat(key(0), clock.t);
    clock.t += 40;
    const expired = await engine.expireStaleRuns(60);
    expect(expired.map((e) => [e.runId, e.state]).sort()).toEqual([
      ['r1', 'crashed'],
      ['r2', 'preempted'],
    ]);
    const g = await engine.group(G);
    expect(g.state).toBe('degraded');
    expect(g.members.map((m) => [m.rank, m.state, m.endedAt])).toEqual([
      [0, 'running', null],
      [1, 'crashed', clock.t],
      [2, 'preempted', clock.t],
    ]);
    await engine.applyBatch(key(0), [logs[0]!.exit(0)]);
    expect((await engine.group(G)).state).toBe('crashed');
  });
});

describe('stragglers and stalls', () => {
  const checks = { stragglerFraction: 0.7, stragglerSeconds: 5, stallSeconds: 20, rateWindowSeconds: 4 };

  it('measures a step rate that decays when a rank stops', () => {
    const p = { lastStep: 20, lastStepAt: 10, samples: [0, 0, 5, 10, 10, 20], slowSince: null, straggler: false, restartAttempt: 0, replayArmed: false };
    expect(stepRate(p, 10, 4)).toBe(2);
    expect(stepRate(p, 12, 4)).toBeCloseTo(10 / 7);
    expect(stepRate(p, 20, 4)).toBe(0);
  });

  it('flags a rank slower than 70% of the median for long enough, alerts once, and clears it when it catches up', async () => {
    const clock = new FakeClock();
    const engine = makeEngine(clock);
    await using _ = engine;
    for (const r of [0, 1, 2, 3]) await engine.openRun(member(r));
    const logs = [0, 1, 2, 3].map(() => new RecordLog());
    const steps = [0, 0, 0, 0];
    const tick = async (rates: number[]) => {
      clock.t += 1;
      for (const r of [0, 1, 2, 3]) {
        const n = rates[r]!;
        if (n === 0) continue;
        await engine.applyBatch(key(r), [logs[r]!.rows(Array.from({ length: n }, (_, i) => ({ step: steps[r]! + i, data: { loss: 1 } })))]);
        steps[r]! += n;
      }
      return engine.checkGroups(checks);
    };
    const flagged = [];
    for (let i = 0; i < 12; i++) flagged.push(...(await tick([10, 10, 10, 3])).stragglers);
    expect(flagged.map((f) => f.runId)).toEqual(['r3']);
    expect(flagged[0]!.stepRate).toBeLessThan(0.7 * flagged[0]!.medianRate);
    const g = await engine.group(G);
    expect(g.members.map((m) => m.straggler)).toEqual([false, false, false, true]);
    expect(g.members[3]!.stepRate).toBeCloseTo(3, 0);
    const alerts = await engine.alerts(key(3));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ title: 'Straggler: rank 3 of job-1', level: 'WARN', suppressed: false });
    let recovered = [];
    for (let i = 0; i < 8; i++) recovered.push(...(await tick([10, 10, 10, 10])).recovered);
    expect(recovered.map((f) => f.runId)).toEqual(['r3']);
    expect((await engine.group(G)).members[3]!.straggler).toBe(false);
  });

  it('flags a group stalled when every live rank stops stepping while heartbeating, and clears it when steps resume', async () => {
    const clock = new FakeClock();
    await using engine = makeEngine(clock);
    for (const r of [0, 1]) await engine.openRun(member(r));
    const logs = [new RecordLog(), new RecordLog()];
    for (const r of [0, 1]) await engine.applyBatch(key(r), [logs[r]!.log(0, { loss: 1 }, { loss: 2 })]);
    let report = await engine.checkGroups(checks);
    expect(report.stalled).toEqual([]);
    for (let i = 0; i < 5; i++) {
      clock.t += 5;
      for (const r of [0, 1]) await engine.heartbeat(key(r), clock.t);
      report = await engine.checkGroups(checks);
      if (report.stalled.length > 0) break;
    }
    expect(report.stalled).toEqual([{ ...G, since: clock.t - 20 }]);
    expect((await engine.group(G))).toMatchObject({ state: 'stalled', stalledAt: clock.t });
    expect((await engine.alerts(key(0))).map((a) => [a.title, a.level])).toEqual([['Stalled: group job-1', 'ERROR']]);
    expect((await engine.checkGroups(checks)).stalled).toEqual([]); // flagged once
    await engine.applyBatch(key(1), [logs[1]!.log(2, { loss: 3 })]);
    expect((await engine.checkGroups(checks)).unstalled).toEqual([G]);
    expect((await engine.group(G)).state).toBe('running');
  });

  it('names the threshold that is out of range', async () => {
    await using engine = makeEngine();
    await expect(engine.checkGroups({ stragglerFraction: 1.5 })).rejects.toThrow('Expected `stragglerFraction` to be a number above 0 and at most 1, got `1.5` (number)');
  });
});
