import { describe, expect, it } from 'vitest';
import { CohortError, stringifyJson, type RecordMessage, type SummaryState } from '@cohort/protocol';
import type { Store, StoredRun } from '@cohort/store';
import { EACH_STORE } from '../../../test/harness/stores.js';
import { Engine, type BatchItem } from './engine.js';
import { SummaryStateCache } from './summary-state-cache.js';
import { FakeClock, RecordLog, openRequest } from './testing/fixtures.js';

const key = (runId: string) => ({ entity: 'local', project: 'proj', runId });

/** A stored run as far as the cache looks at it. */
const run = (pk: number, version: number, summaryStateJson: string) => ({ pk, version, summaryStateJson }) as StoredRun;

/** A summary state whose one metric was logged `latest`. */
function state(latest: number, stepMetrics: Array<[string, number]> = []): SummaryState {
  const loss = { path: 'loss', visible: true, explicit: false, latest, first: latest, count: 1, total: latest, min: latest, max: latest };
  return { version: 1, definitions: [], globs: [], stepMetrics, metrics: [loss] };
}

/** The same text in another string, as a store read hands it back. */
const reread = (text: string) => (' ' + text).slice(1);

describe('SummaryStateCache', () => {
  it('hands out the kept state only for the same run version and text, else parses', () => {
    const cache = new SummaryStateCache();
    const text = stringifyJson(state(1));
    const first = cache.get(run(1, 3, text));
    expect(first).toEqual(state(1));
    expect(cache.get(run(1, 3, reread(text)))).toBe(first);
    expect(cache.stats).toEqual({ hits: 1, parses: 1 });
    // Another version with the same text, and the same version with another text: parsed.
    expect(cache.get(run(1, 4, text))).not.toBe(first);
    expect(cache.get(run(1, 4, stringifyJson(state(2))))).toEqual(state(2));
    expect(cache.stats).toEqual({ hits: 1, parses: 3 });
    // A run before its first batch has no state.
    expect(cache.get(run(2, 0, ''))).toBeUndefined();
    expect(cache.stats).toEqual({ hits: 1, parses: 3 });
  });

  it('moves on with a commit: to the state the batch wrote, or the kept one when it wrote none; drops it when the guard failed', () => {
    const cache = new SummaryStateCache();
    const old = stringifyJson(state(1));
    cache.get(run(1, 3, old));
    const written = { json: stringifyJson(state(2)), state: state(2) };
    cache.committed(run(1, 3, old), written);
    expect(cache.get(run(1, 4, reread(written.json)))).toBe(written.state);
    cache.committed(run(1, 4, written.json), undefined);
    expect(cache.get(run(1, 5, reread(written.json)))).toBe(written.state);
    expect(cache.stats).toEqual({ hits: 2, parses: 1 });
    // A guard failed for an older version: the newer entry stays.
    cache.lost(run(1, 4, written.json));
    expect(cache.get(run(1, 5, written.json))).toBe(written.state);
    cache.lost(run(1, 5, written.json));
    expect(cache.get(run(1, 5, written.json))).not.toBe(written.state);
    expect(cache.stats).toEqual({ hits: 3, parses: 2 });
  });

  it('keeps at most maxRuns runs, the least recently used going first', () => {
    const text = stringifyJson(state(1));
    const cache = new SummaryStateCache(2);
    for (const pk of [1, 2]) cache.get(run(pk, 0, text));
    cache.get(run(1, 0, text)); // 1 is now the most recently used
    cache.get(run(3, 0, text)); // 2 goes
    expect(cache.stats).toEqual({ hits: 1, parses: 3 });
    cache.get(run(1, 0, text));
    cache.get(run(3, 0, text));
    cache.get(run(2, 0, text));
    expect(cache.stats).toEqual({ hits: 3, parses: 4 });
  });

  it('keeps at most maxChars characters of text, and never a state longer than that', () => {
    const text = stringifyJson(state(1));
    const cache = new SummaryStateCache(10, 3 * text.length);
    const long = stringifyJson({ ...state(1), globs: [{ name: 'x'.repeat(text.length) }] });
    for (const pk of [1, 2]) cache.get(run(pk, 0, text));
    cache.get(run(3, 0, long)); // about two texts long: 1 and 2 go
    cache.get(run(3, 0, long));
    cache.get(run(1, 0, text)); // and now 3 goes
    cache.get(run(1, 0, text));
    expect(cache.stats).toEqual({ hits: 2, parses: 4 });
    cache.get(run(3, 0, long));
    cache.get(run(2, 0, text));
    expect(cache.stats).toEqual({ hits: 2, parses: 6 });
    const huge = stringifyJson({ ...state(1), globs: [{ name: 'x'.repeat(3 * text.length) }] });
    cache.get(run(4, 0, huge));
    cache.get(run(4, 0, huge));
    cache.get(run(2, 0, text));
    expect(cache.stats).toEqual({ hits: 3, parses: 8 });
  });

  it('keeps nothing when sized 0', () => {
    const cache = new SummaryStateCache(0);
    const text = stringifyJson(state(1));
    cache.get(run(1, 0, text));
    cache.committed(run(1, 0, text), { json: text, state: state(1) });
    cache.get(run(1, 1, text));
    expect(cache.stats).toEqual({ hits: 0, parses: 2 });
  });

  it('keeps a written step metric of -0 as its text reads back: 0', () => {
    const cache = new SummaryStateCache();
    const written = state(-0, [['epoch', -0]]);
    cache.committed(run(1, 0, ''), { json: stringifyJson(written), state: written });
    const kept = cache.get(run(1, 1, stringifyJson(written)))!;
    expect(cache.stats.hits).toBe(1);
    expect(Object.is(kept.stepMetrics[0]![1], 0)).toBe(true);
  });
});

/** Freezes a state and everything in it, so a planner that wrote to a shared state would throw. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** A cache whose states cannot be changed: what it hands out must come back as it went. */
class FrozenCache extends SummaryStateCache {
  override get(r: StoredRun): SummaryState | undefined {
    return deepFreeze(super.get(r));
  }
}

/** An outcome with errors reduced to their code, for comparing. */
function outcome(r: Awaited<ReturnType<Engine['applyBatch']>> | { error: unknown }) {
  if ('error' in r) return { code: r.error instanceof CohortError ? r.error.code : String(r.error) };
  return { ...r, rejected: r.rejected.map((x) => ({ seq: x.seq, code: x.error.code })) };
}

/** Rows at steps `from`.. with metrics of every kind the summary keeps: aggregated, glob-defined, nested, text, NaN, infinite. */
function rows(log: RecordLog, from: number, n: number, extra: Record<string, unknown> = {}): RecordMessage {
  return log.rows(
    Array.from({ length: n }, (_, i) => {
      const s = from + i;
      const odd = s % 7 === 0 && { odd: NaN, big: Infinity };
      return { step: s, data: { loss: 1 / (s + 1), acc_top1: (s * 7) % 10, nested: { a: s, b: `t${s}` }, epoch: s / 10, ...odd, ...extra } };
    }),
  );
}

/** What the store holds of the runs: their summary fields, history and events. */
async function snapshot(engine: Engine, runIds: string[]) {
  const out: Record<string, unknown> = {};
  for (const runId of runIds) {
    const r = (await engine.store.findRun(key(runId)))!;
    const { summaryJson, summaryStateJson, metricsJson, configJson, lastStep, appliedSeq, state, runtime, version, exitCode } = r;
    out[runId] = {
      row: { summaryJson, summaryStateJson, metricsJson, configJson, lastStep, appliedSeq, state, runtime, version, exitCode },
      history: await engine.history(key(runId)),
      events: (await engine.runEvents(key(runId))).map((e) => [e.state, e.detail]),
    };
  }
  return out;
}

const member = (over: Parameters<typeof openRequest>[0] = {}) => openRequest({ group: 'g', rank: 0, worldSize: 1, localRank: 0, resume: 'allow', ...over });

/** Batches through every path that writes a run's summary: definitions, rows, sets, a rejected record, resume, restart replay, rewind, fork, applyBatches. */
async function scenario(engine: Engine) {
  const results: unknown[] = [];
  const apply = async (runId: string, records: RecordMessage[]) => results.push(outcome(await engine.applyBatch(key(runId), records)));
  const log = new RecordLog();
  await engine.openRun(member());
  await apply('run1', [
    log.metric('loss', { summary: 'min,max,mean' }),
    log.metric('acc*', { summary: 'max' }),
    log.metric('epoch'),
    log.metric('val', { stepMetric: 'epoch', stepSync: true }),
    log.config({ lr: 0.1 }),
  ]);
  for (let b = 0; b < 4; b++) await apply('run1', [rows(log, b * 5, 5)]);
  // A step metric of -0, then a row that step sync fills from it.
  await apply('run1', [rows(log, 20, 2, { epoch: -0 })]);
  await apply('run1', [log.rows([{ step: 22, data: { val: 1 } }])]);
  // The config change is rejected after rows planned: the batch is planned again, from the same state.
  await apply('run1', [rows(log, 23, 3), log.config({ lr: 0.2 }), rows(log, 26, 2)]);
  await apply('run1', [log.summary({ best: { x: 1 }, 'custom.k': 'v' }, ['acc_top1'])]);
  await apply('run1', [log.alert('slow', 1_700_000_000)]);
  await apply('run1', [rows(log, 28, 3)]);
  await engine.openRun(member());
  await apply('run1', [rows(log, 31, 3)]);
  await engine.openRun(member({ restartAttempt: 1 }));
  await apply('run1', [rows(log, 25, 4)]);
  await apply('run1', [rows(log, 29, 4)]);
  await engine.openRun(openRequest({ runId: 'run1', resumeFrom: 'run1?_step=27' }));
  await apply('run1', [rows(log, 28, 3)]);
  await engine.openRun(openRequest({ runId: 'fork1', forkFrom: 'run1?_step=29' }));
  const f = new RecordLog();
  await apply('fork1', [rows(f, 30, 3)]);
  const items: BatchItem[] = [
    { run: key('run1'), records: [rows(log, 31, 2)] },
    { run: key('fork1'), records: [rows(f, 33, 2)] },
    { run: key('run1'), records: [rows(log, 33, 2), log.exit(0)] },
  ];
  results.push((await engine.applyBatches(items)).map(outcome));
  return { results, runs: await snapshot(engine, ['run1', 'fork1']) };
}

/** A store whose `commitBatches` first runs `before` (another applier committing). */
function interposed(store: Store, before: () => Promise<void>): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'commitBatches') {
        return async (items: Parameters<Store['commitBatches']>[0]) => {
          await before();
          return target.commitBatches(items);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe.each(EACH_STORE)('Engine with a summary state cache over %s', (_name, open) => {
  it('parses a run’s summary state once, then reuses it batch after batch until something else writes the run', async () => {
    await using s = await open();
    const cache = new SummaryStateCache();
    const engine = new Engine(s.store, { now: new FakeClock().now, summaryStateCache: cache });
    await engine.openRun(openRequest());
    const log = new RecordLog();
    for (let b = 0; b < 10; b++) await engine.applyBatch(key('run1'), [rows(log, b * 3, 3)]);
    // The first batch starts from no state; each later one from the state the one before wrote.
    expect(cache.stats).toEqual({ hits: 9, parses: 0 });
    await engine.applyBatches([{ run: key('run1'), records: [rows(log, 30, 3)] }]);
    expect(cache.stats).toEqual({ hits: 10, parses: 0 });
    // A resume writes the run (its version moves on): the next batch parses, the one after reuses again.
    await engine.openRun(openRequest({ resume: 'allow' }));
    for (let b = 11; b < 13; b++) await engine.applyBatch(key('run1'), [rows(log, b * 3, 3)]);
    expect(cache.stats).toEqual({ hits: 11, parses: 1 });
    // Without the cache every batch after the first parses.
    const off = new SummaryStateCache(0);
    const plain = new Engine(s.store, { now: new FakeClock().now, summaryStateCache: off });
    await plain.openRun(openRequest({ runId: 'run2' }));
    const log2 = new RecordLog();
    for (let b = 0; b < 5; b++) await plain.applyBatch(key('run2'), [rows(log2, b * 3, 3)]);
    expect(off.stats).toEqual({ hits: 0, parses: 4 });
  });

  it('stores exactly what an engine without the cache stores, never changing a state it shares', async () => {
    await using s1 = await open();
    await using s2 = await open();
    const cache = new FrozenCache();
    const cached = await scenario(new Engine(s1.store, { now: new FakeClock().now, summaryStateCache: cache }));
    const plain = await scenario(new Engine(s2.store, { now: new FakeClock().now, summaryStateCache: new SummaryStateCache(0) }));
    expect(cache.stats.hits).toBeGreaterThan(10);
    expect(cached).toEqual(plain);
    // The scenario's edges did happen: a rejected record, a replay rewind, the stepSync insertion of the -0 step metric (stored as 0, as parsed).
    expect(plain.results).toContainEqual(expect.objectContaining({ rejected: [{ seq: 13, code: 'INVALID_ARGUMENT' }] }));
    const events = (plain.runs['run1'] as { events: string[][] }).events.map((e) => e[1]);
    expect(events).toContainEqual(expect.stringMatching(/^rewound to step 24: restart attempt 1/));
    for (const r of [cached, plain]) {
      const row22 = (r.runs['run1'] as { history: Array<Record<string, unknown>> }).history.find((h) => h['_step'] === 22)!;
      expect(Object.is(row22['epoch'], 0)).toBe(true);
    }
  });

  it('parses the stored state again when another engine committed in between, with the same results', async () => {
    await using s = await open();
    await using ref = await open();
    const clock = new FakeClock();
    const cache = new SummaryStateCache();
    const mine = new Engine(s.store, { now: clock.now, summaryStateCache: cache });
    const other = new Engine(s.store, { now: clock.now });
    const reference = new Engine(ref.store, { now: clock.now, summaryStateCache: new SummaryStateCache(0) });
    for (const e of [mine, reference]) await e.openRun(openRequest());
    const log = new RecordLog();
    const b = [log.metric('loss', { summary: 'min' }), ...Array.from({ length: 7 }, (_, i) => rows(log, i * 2, 2))];
    const apply = async (e: Engine, records: RecordMessage[]) => outcome(await e.applyBatch(key('run1'), records));
    for (const records of [[b[0]!], [b[1]!]]) {
      await apply(mine, records);
      await apply(reference, records);
    }
    expect(cache.stats).toEqual({ hits: 1, parses: 0 });
    // Another worker applies b2: this engine's kept state (of the version before) is stale.
    expect(await apply(other, [b[2]!])).toEqual(await apply(reference, [b[2]!]));
    expect(await apply(mine, [b[3]!])).toEqual(await apply(reference, [b[3]!]));
    expect(cache.stats).toEqual({ hits: 1, parses: 1 });
    await apply(reference, [b[4]!]);
    // In applyBatches, the other worker commits b4 between this engine's plan (from its kept state) and its commit:
    // the guard fails, the batch is applied again from a fresh read, and the state parsed again.
    const racing = new Engine(
      interposed(s.store, async () => {
        await other.applyBatch(key('run1'), [b[4]!]);
      }),
      { now: clock.now, summaryStateCache: cache },
    );
    const stateBefore = cache.get((await s.store.findRun(key('run1')))!);
    const frozen = structuredClone(stateBefore);
    const res = await racing.applyBatches([{ run: key('run1'), records: [b[4]!, b[5]!] }]);
    expect(stateBefore).toEqual(frozen);
    expect(res.map(outcome)).toEqual([await apply(reference, [b[4]!, b[5]!])]);
    expect(cache.stats).toEqual({ hits: 3, parses: 2 });
    expect(await apply(mine, [b[6]!, b[7]!])).toEqual(await apply(reference, [b[6]!, b[7]!]));
    expect(cache.stats).toEqual({ hits: 4, parses: 2 });
    expect(await snapshot(mine, ['run1'])).toEqual(await snapshot(reference, ['run1']));
  });
});
