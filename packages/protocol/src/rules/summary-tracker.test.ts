import { describe, expect, it } from 'vitest';
import { parseJson, stringifyJson } from '../json.js';
import { normalizeLogData } from './log-values.js';
import { parseMetricDefinition } from './metric-definition.js';
import { forEachRow, RowsBuilder } from './rows-codec.js';
import { StepMachine } from './step-machine.js';
import { SummaryTracker, type SummaryState } from './summary-tracker.js';

/** A run as the SDK and engine see it: log → step machine → rows message → tracker. */
class Sim {
  tracker: SummaryTracker;
  machine: StepMachine;
  builder = new RowsBuilder();
  /** Each stored history row: its leaves plus what step sync inserted. */
  rows: Array<Record<string, unknown>> = [];
  clock = 1000;

  constructor(state?: SummaryState, startingStep = 0) {
    this.tracker = SummaryTracker.fromJSON(state);
    this.machine = new StepMachine(startingStep, (row) => {
      this.builder.add(row, row.timestamp - 1000);
      forEachRow(this.builder.build(), (_i, _step, _t, _r, leaves) => {
        const inserted = this.tracker.applyRow(leaves);
        this.rows.push(Object.fromEntries([...leaves, ...inserted]));
      });
    });
  }

  D(name: string, opts?: Record<string, unknown>): this {
    this.tracker.defineMetric(parseMetricDefinition(name, opts));
    return this;
  }

  L(data: Record<string, unknown>, opts: { step?: number; commit?: boolean } = {}): this {
    this.machine.log(normalizeLogData(data), opts.step, opts.commit, ++this.clock);
    return this;
  }

  get summary(): Record<string, unknown> {
    return this.tracker.summary();
  }
}

describe('SummaryTracker: docs/run-semantics.md §2 reference cases', () => {
  it('1: D("*"); L(mystep=1,val=2); L(mystep=2,val=8); L(mystep=3,val=3); L(val2=4); L(val2=1) gives val=3, val2=1, mystep=3', () => {
    const s = new Sim().D('*').L({ mystep: 1, val: 2 }).L({ mystep: 2, val: 8 }).L({ mystep: 3, val: 3 }).L({ val2: 4 }).L({ val2: 1 });
    expect(s.summary).toMatchObject({ val: 3, val2: 1, mystep: 3 });
  });

  it('2: D("*","copy"); D("val","none"); L(val=i,other=i) for i=1..3 gives other=3 and no val', () => {
    const s = new Sim().D('*', { summary: 'copy' }).D('val', { summary: 'none' });
    for (let i = 1; i <= 3; i++) s.L({ val: i, other: i });
    expect(s.summary).toMatchObject({ other: 3 });
    expect(s.summary).not.toHaveProperty('val');
  });

  it('3: D("val2","none"); L(val2=4); L(val2=1) gives no val2', () => {
    const s = new Sim().D('val2', { summary: 'none' }).L({ val2: 4 }).L({ val2: 1 });
    expect(s.summary).not.toHaveProperty('val2');
    expect(s.summary).toHaveProperty('_step', 1);
  });

  it.each([
    ['min', { min: 1 }],
    ['max', { max: 8 }],
    ['last', { last: 3 }],
    ['mean', { mean: 4 }],
    ['first', { first: 1 }],
  ])('4: D("val",%s); L(val=1); L(val=8); L(val=3) gives %o', (s, expected) => {
    const sim = new Sim().D('val', { summary: s }).L({ val: 1 }).L({ val: 8 }).L({ val: 3 });
    expect(sim.summary.val).toEqual(expected);
  });

  it('5: D("val","min"); L(val=1); L(val="a string"); L(val=3) gives {min:1}', () => {
    const s = new Sim().D('val', { summary: 'min' }).L({ val: 1 }).L({ val: 'a string' }).L({ val: 3 });
    expect(s.summary.val).toEqual({ min: 1 });
  });

  it('6: D("val","min",stepMetric="mystep",stepSync=false); L(val=2,val2=5,mystep=1); L(mystep=3); L(val=8); L(val2=8); L(val=3,mystep=5) gives val={min:2}, val2=8, mystep=5 and row 2 has no mystep', () => {
    const s = new Sim()
      .D('val', { summary: 'min', stepMetric: 'mystep', stepSync: false })
      .L({ val: 2, val2: 5, mystep: 1 })
      .L({ mystep: 3 })
      .L({ val: 8 })
      .L({ val2: 8 })
      .L({ val: 3, mystep: 5 });
    expect(s.summary).toMatchObject({ val: { min: 2 }, val2: 8, mystep: 5 });
    expect(s.rows[2]).not.toHaveProperty('mystep');
  });

  it('6: with stepSync=true, row 2 gains mystep=3', () => {
    const s = new Sim()
      .D('val', { summary: 'min', stepMetric: 'mystep', stepSync: true })
      .L({ val: 2, val2: 5, mystep: 1 })
      .L({ mystep: 3 })
      .L({ val: 8 })
      .L({ val2: 8 })
      .L({ val: 3, mystep: 5 });
    expect(s.rows[2]).toMatchObject({ val: 8, mystep: 3 });
    expect(s.rows[3]).not.toHaveProperty('mystep');
    expect(s.summary).toMatchObject({ val: { min: 2 }, val2: 8, mystep: 5 });
  });

  it('7: D("val","mean"); L(val=2); L(val=NaN); L(val=4) gives mean NaN', () => {
    const s = new Sim().D('val', { summary: 'mean' }).L({ val: 2 }).L({ val: NaN }).L({ val: 4 });
    expect((s.summary.val as { mean: number }).mean).toBeNaN();
  });

  it('8: L(this={that:3}); L(this={that:2}); L(this={that:4}) after D("this.that","min,max") gives this={that:{min:2,max:4}}', () => {
    const s = new Sim().D('this.that', { summary: 'min,max' }).L({ this: { that: 3 } }).L({ this: { that: 2 } }).L({ this: { that: 4 } });
    expect(s.summary.this).toEqual({ that: { min: 2, max: 4 } });
  });

  it('9: D("x","min,max,mean,last,first"); L(x=1); L(x=3.0); L(x=2.3) gives {min:1,max:3,mean:2.1,last:2.3,first:1}', () => {
    const s = new Sim().D('x', { summary: 'min,max,mean,last,first' }).L({ x: 1 }).L({ x: 3.0 }).L({ x: 2.3 });
    const x = s.summary.x as Record<string, number>;
    expect(x).toEqual({ min: 1, max: 3, mean: expect.closeTo(2.1, 12), last: 2.3, first: 1 });
  });

  it('10: D("train/*","max"); L({"train/l":1,"val/l":1}); L({"train/l":3,"val/l":0}) gives train/l={max:3}, val/l=0', () => {
    const s = new Sim().D('train/*', { summary: 'max' }).L({ 'train/l': 1, 'val/l': 1 }).L({ 'train/l': 3, 'val/l': 0 });
    expect(s.summary).toMatchObject({ 'train/l': { max: 3 }, 'val/l': 0 });
  });
});

describe('SummaryTracker: default summary (§1)', () => {
  it('holds the latest value of every leaf, automatic keys included', () => {
    const s = new Sim().L({ a: 1 }).L({ a: 2, b: 'x' });
    expect(s.summary).toEqual({ a: 2, b: 'x', _step: 1, _runtime: 2, _timestamp: 1002 });
  });

  it('changes only at flush: a commit false value is not visible until its row flushes', () => {
    const s = new Sim().L({ a: 1 }, { commit: false });
    expect(s.summary).toEqual({});
    s.machine.flush();
    expect(s.summary).toMatchObject({ a: 1 });
  });

  it('merges nested leaves one by one and stays nested', () => {
    const s = new Sim().L({ a: { b: 1 } }).L({ a: { c: 2 } });
    expect(s.summary.a).toEqual({ b: 1, c: 2 });
  });

  it('addresses a key with a literal dot by escaping it', () => {
    const s = new Sim().D('a\\.b', { summary: 'max' }).L({ 'a.b': 1 }).L({ 'a.b': 5 }).L({ 'a.b': 2 });
    expect(s.summary['a.b']).toEqual({ max: 5 });
  });

  it('keeps arrays and empty objects as leaves', () => {
    const s = new Sim().L({ arr: [1, 2], e: {} });
    expect(s.summary).toMatchObject({ arr: [1, 2], e: {} });
  });

  it('replaces a logged subtree by a later leaf and a leaf by a later subtree', () => {
    const s = new Sim().L({ a: { b: 1, c: 2 }, d: 1 }).L({ a: 5, d: { e: 1 } });
    expect(s.summary).toMatchObject({ a: 5, d: { e: 1 } });
  });
});

describe('SummaryTracker: aggregations (§2)', () => {
  it('gives min 0, max 0 and mean NaN for a metric that only logged non-numbers', () => {
    const s = new Sim().D('v', { summary: 'min,max,mean' }).L({ v: 'a' }).L({ v: true });
    const v = s.summary.v as Record<string, number>;
    expect(v.min).toBe(0);
    expect(v.max).toBe(0);
    expect(v.mean).toBeNaN();
  });

  it('does not count booleans as numbers', () => {
    const s = new Sim().D('v', { summary: 'min,max,mean' }).L({ v: 2 }).L({ v: true }).L({ v: false }).L({ v: 4 });
    expect(s.summary.v).toEqual({ min: 2, max: 4, mean: 3 });
  });

  it('counts strings for first and last', () => {
    const s = new Sim().D('v', { summary: 'first,last' }).L({ v: 'a' }).L({ v: 2 }).L({ v: 'z' });
    expect(s.summary.v).toEqual({ first: 'a', last: 'z' });
  });

  it('makes min and max NaN for good after one NaN', () => {
    const s = new Sim().D('v', { summary: 'min,max' }).L({ v: 1 }).L({ v: NaN }).L({ v: -5 }).L({ v: 10 });
    const v = s.summary.v as Record<string, number>;
    expect(v.min).toBeNaN();
    expect(v.max).toBeNaN();
  });

  it('keeps Infinity in min and max', () => {
    const s = new Sim().D('v', { summary: 'min,max' }).L({ v: -Infinity }).L({ v: Infinity });
    expect(s.summary.v).toEqual({ min: -Infinity, max: Infinity });
  });

  it('shows the latest value for copy, and nothing extra for copy beside an aggregation', () => {
    const s = new Sim().D('a', { summary: 'copy' }).D('b', { summary: 'min,copy' }).L({ a: 3, b: 3 }).L({ a: 1, b: 5 });
    expect(s.summary).toMatchObject({ a: 1, b: { min: 3 } });
  });

  it('gives best as the minimum by default and the maximum for goal maximize', () => {
    const s = new Sim().D('loss', { summary: 'best' }).D('acc', { summary: 'best', goal: 'maximize' });
    s.L({ loss: 0.5, acc: 0.1 }).L({ loss: 0.2, acc: 0.9 }).L({ loss: 0.4, acc: 0.5 });
    expect(s.summary).toMatchObject({ loss: { best: 0.2 }, acc: { best: 0.9 } });
  });

  it('counts values logged before the defineMetric call', () => {
    const s = new Sim().L({ v: 1 }).L({ v: 5 }).D('v', { summary: 'min,max' }).L({ v: 3 });
    expect(s.summary.v).toEqual({ min: 1, max: 5 });
  });

  it('applies a definition to the summary at once', () => {
    const s = new Sim().L({ v: 1 }).L({ v: 5 }).D('v', { summary: 'min' });
    expect(s.summary.v).toEqual({ min: 1 });
    s.D('v', { summary: 'none' });
    expect(s.summary).not.toHaveProperty('v');
  });

  it('tracks both min and max after defining min then max', () => {
    const s = new Sim().D('v', { summary: 'min' }).D('v', { summary: 'max' }).L({ v: 1 }).L({ v: 5 });
    expect(s.summary.v).toEqual({ min: 1, max: 5 });
  });

  it('starts from empty with overwrite', () => {
    const s = new Sim().D('v', { summary: 'min' }).D('v', { summary: 'max', overwrite: true }).L({ v: 1 }).L({ v: 5 });
    expect(s.summary.v).toEqual({ max: 5 });
  });

  it('returns the merged definition as a Metric', () => {
    const t = new SummaryTracker();
    t.defineMetric(parseMetricDefinition('v', { summary: 'min', stepMetric: 'e' }));
    const metric = t.defineMetric(parseMetricDefinition('v', { summary: 'max', hidden: true }));
    expect(metric).toEqual({ name: 'v', stepMetric: 'e', stepSync: true, hidden: true, summary: ['min', 'max'], goal: undefined });
    expect(t.metric('v')).toEqual(metric);
    expect(t.metric('nope')).toBeUndefined();
  });
});

describe('SummaryTracker: globs (§2)', () => {
  it('never matches keys starting with _', () => {
    const s = new Sim().D('*', { summary: 'max' }).L({ _private: 1, a: 1 }).L({ _private: 2, a: 0 });
    expect(s.summary).toMatchObject({ _private: 2, a: { max: 1 }, _step: 1 });
  });

  it('matches "*" against every other key, nested leaves included', () => {
    const s = new Sim().D('*', { summary: 'min' }).L({ a: 2, n: { b: 3 } }).L({ a: 1, n: { b: 4 } });
    expect(s.summary).toMatchObject({ a: { min: 1 }, n: { b: { min: 3 } } });
  });

  it('lets the first glob defined win', () => {
    const s = new Sim().D('*', { summary: 'min' }).D('train/*', { summary: 'max' }).L({ 'train/x': 1 }).L({ 'train/x': 2 });
    expect(s.summary['train/x']).toEqual({ min: 1 });
  });

  it('prefers an explicit definition to a glob', () => {
    const s = new Sim().D('*', { summary: 'min' }).D('a', { summary: 'max' }).L({ a: 1 }).L({ a: 2 });
    expect(s.summary.a).toEqual({ max: 2 });
  });

  it('creates a concrete definition from the matching row on', () => {
    const s = new Sim().L({ a: 5 }).D('*', { summary: 'min' });
    expect(s.summary.a).toBe(5);
    s.L({ a: 7 });
    expect(s.summary.a).toEqual({ min: 5 });
    expect(s.tracker.definitions().map((d) => d.name)).toEqual(['a', '*']);
    // A later glob does not change a definition that already exists.
    s.D('a*', { summary: 'max', overwrite: true }).L({ a: 9 });
    expect(s.summary.a).toEqual({ min: 5 });
  });
});

describe('SummaryTracker: step metrics (§2)', () => {
  it('registers the step metric with latest 0 and inserts it into rows that lack it', () => {
    const s = new Sim().D('loss', { stepMetric: 'epoch' }).L({ loss: 1 });
    expect(s.rows[0]).toMatchObject({ loss: 1, epoch: 0 });
    expect(s.summary).toMatchObject({ loss: 1, epoch: 0 });
  });

  it('inserts the latest numeric value of the step metric and never overrides a logged one', () => {
    const s = new Sim().D('loss', { stepMetric: 'epoch' }).L({ epoch: 2, loss: 1 }).L({ epoch: 'x' }).L({ loss: 2 });
    expect(s.rows[2]).toMatchObject({ loss: 2, epoch: 2 });
    expect(s.rows[1]).toMatchObject({ epoch: 'x' });
  });

  it('feeds inserted values to the summary aggregates', () => {
    const s = new Sim().D('epoch', { summary: 'mean' }).D('loss', { stepMetric: 'epoch' }).L({ epoch: 4 }).L({ loss: 1 });
    // epoch got 4 logged and 4 inserted: count 2.
    expect(s.summary.epoch).toEqual({ mean: 4 });
    expect(s.tracker.toJSON().metrics.find((m) => m.path === 'epoch')?.count).toBe(2);
  });

  it('inserts a step metric once per row for several metrics', () => {
    const s = new Sim().D('*', { stepMetric: 'epoch' }).L({ a: 1, b: 2 });
    expect(s.tracker.applyRow([['a', 1], ['b', 2]])).toEqual([['epoch', 0]]);
  });

  it('syncs the step metric through glob definitions', () => {
    const s = new Sim().D('train/*', { stepMetric: 'train/step' }).L({ 'train/step': 7 }).L({ 'train/loss': 1, 'val/loss': 1 });
    expect(s.rows[1]).toMatchObject({ 'train/loss': 1, 'train/step': 7 });
  });
});

describe('SummaryTracker: explicit summary writes (§3)', () => {
  it('sets one leaf that replaces a logged subtree', () => {
    const s = new Sim().L({ a: { b: 1, c: 2 } });
    s.tracker.set('a', { x: 1 });
    expect(s.summary.a).toEqual({ x: 1 });
  });

  it('replaces an explicitly set leaf by a later log of the key', () => {
    const s = new Sim().L({ a: 1 });
    s.tracker.set('a', 100);
    expect(s.summary.a).toBe(100);
    s.L({ a: 2 });
    expect(s.summary.a).toBe(2);
  });

  it('clears aggregation flags with an explicit set: a later log shows the latest value', () => {
    const s = new Sim().D('a', { summary: 'min' }).L({ a: 1 }).L({ a: 2 });
    s.tracker.set('a', 'final');
    expect(s.summary.a).toBe('final');
    s.L({ a: 5 });
    expect(s.summary.a).toBe(5);
    expect(s.tracker.metric('a')?.summary).toEqual([]);
  });

  it('clears the aggregation of a glob-matched metric only for the key set', () => {
    const s = new Sim().D('v/*', { summary: 'max' }).L({ 'v/a': 5, 'v/b': 5 });
    s.tracker.set('v/a', 100);
    s.L({ 'v/a': 2, 'v/b': 2 });
    expect(s.summary['v/a']).toBe(2);
    expect(s.summary['v/b']).toEqual({ max: 5 });
  });

  it('keeps the cleared flags across toJSON and fromJSON (a resumed run)', () => {
    const s = new Sim().D('v', { summary: 'max' }).L({ v: 5 });
    s.tracker.set('v', 100);
    const again = SummaryTracker.fromJSON(JSON.parse(JSON.stringify(s.tracker.toJSON())) as SummaryState);
    again.applyRow([['v', 2]]);
    expect(again.summary()['v']).toBe(2);
  });

  it('keeps none against an explicit set and a later log', () => {
    const s = new Sim().D('a', { summary: 'none,max' });
    s.tracker.set('a', 1);
    s.L({ a: 3 });
    expect(s.summary).not.toHaveProperty('a');
  });

  it('removes a none metric even against an explicit set', () => {
    const s = new Sim().D('a', { summary: 'none' });
    s.tracker.set('a', 1);
    expect(s.summary).not.toHaveProperty('a');
  });

  it('sets leaves by path with update', () => {
    const s = new Sim();
    s.tracker.update({ 'x.y': 1, 'z\\.w': 2, top: { nested: true } });
    expect(s.summary).toEqual({ x: { y: 1 }, 'z.w': 2, top: { nested: true } });
  });

  it('replaces an explicitly set leaf when a leaf below it is logged', () => {
    const s = new Sim();
    s.tracker.set('a', 5);
    s.L({ a: { b: 1 } });
    expect(s.summary.a).toEqual({ b: 1 });
  });

  it('deletes a leaf, keeps its definition, and a later log brings it back', () => {
    const s = new Sim().D('a', { summary: 'max' }).L({ a: 3, b: 1 });
    expect(s.tracker.delete('a')).toBe(true);
    expect(s.summary).not.toHaveProperty('a');
    expect(s.tracker.delete('a')).toBe(false);
    s.L({ a: 1 });
    expect(s.summary.a).toEqual({ max: 3 });
  });

  it('deletes a subtree', () => {
    const s = new Sim().L({ n: { a: 1, b: { c: 2 } }, m: 1 });
    expect(s.tracker.delete('n')).toBe(true);
    expect(s.summary).not.toHaveProperty('n');
    s.tracker.delete('m');
    s.L({ n: { a: 2 } });
    expect(s.summary).toMatchObject({ n: { a: 2 } });
    expect(s.summary).not.toHaveProperty('m');
  });

  it('deletes a leaf inside a subtree and drops the emptied parent', () => {
    const s = new Sim().L({ n: { a: 1 } });
    s.tracker.delete('n.a');
    expect(s.summary).not.toHaveProperty('n');
  });

  it('rejects a key that is not a non-empty string', () => {
    const t = new SummaryTracker();
    expect(() => t.set(1 as unknown as string, 1)).toThrow(TypeError);
    expect(() => t.delete('')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => t.update([] as unknown as Record<string, unknown>)).toThrow(TypeError);
  });
});

describe('SummaryTracker: state (resume)', () => {
  it('round-trips through toJSON, stringifyJson and fromJSON mid-run and continues aggregating', () => {
    const a = new Sim()
      .D('v', { summary: 'min,max,mean,first,last,best' })
      .D('n', { summary: 'min,max' })
      .D('*', { summary: 'max' })
      .D('loss', { stepMetric: 'epoch' })
      .L({ v: 2, n: NaN, g: 1, epoch: 3 })
      .L({ v: 'x', n: 1, g: 5, deep: { k: -Infinity } });
    a.tracker.set('explicit', { any: 'thing' });
    a.tracker.delete('g');
    const text = stringifyJson(a.tracker.toJSON());
    const state = parseJson(text) as SummaryState;
    expect(stringifyJson(SummaryTracker.fromJSON(state).toJSON())).toBe(text);

    const b = new Sim(state, 2);
    b.clock = a.clock;
    expect(stringifyJson(b.summary)).toBe(stringifyJson(a.summary));
    for (const sim of [a, b]) sim.L({ v: 6, g: 2, loss: 1 });
    expect(stringifyJson(b.summary)).toBe(stringifyJson(a.summary));
    expect(b.summary).toMatchObject({ v: { min: 2, max: 6, mean: 4, first: 2, last: 6, best: 2 }, g: { max: 5 }, explicit: { any: 'thing' }, epoch: { max: 3 } });
    expect((b.summary.n as { min: number }).min).toBeNaN();
    expect(b.rows[0]).toMatchObject({ loss: 1, epoch: 3 });
  });

  it('recomputes a rewound summary from definitions only with withoutValues', () => {
    const a = new Sim().D('v', { summary: 'max' }).D('loss', { stepMetric: 'epoch' }).L({ v: 9, epoch: 4 }).L({ v: 1 });
    const fresh = a.tracker.withoutValues();
    expect(fresh.summary()).toEqual({});
    expect(fresh.definitions()).toEqual(a.tracker.definitions());
    fresh.applyRow([['v', 2]]);
    expect(fresh.summary()).toEqual({ v: { max: 2 } });
    expect(fresh.applyRow([['loss', 1]])).toEqual([['epoch', 0]]);
  });

  it('starts empty from undefined and rejects a state of another version', () => {
    expect(SummaryTracker.fromJSON(undefined).summary()).toEqual({});
    expect(() => SummaryTracker.fromJSON({ version: 2 } as unknown as SummaryState)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
