import { describe, expect, it } from 'vitest';
import { CohortError, type RecordMessage } from '@cohort/protocol';
import type { Store } from '@cohort/store';
import { EACH_STORE } from '../../../test/harness/stores.js';
import { Engine, type BatchItem } from './engine.js';
import { FakeClock, RecordLog, openRequest } from './testing/fixtures.js';

const key = (runId: string, writer?: string) => ({ entity: 'local', project: 'proj', runId, ...(writer !== undefined && { writer }) });

/** An outcome with errors reduced to their code and message, for comparing. */
function outcome(r: Awaited<ReturnType<Engine['applyBatch']>> | { error: unknown }) {
  if ('error' in r) return r.error instanceof CohortError ? { code: r.error.code, message: r.error.message } : { unexpected: String(r.error) };
  return { ...r, rejected: r.rejected.map((x) => ({ seq: x.seq, code: x.error.code })) };
}

/** A real store whose `commitBatches` first runs `before` (another applier moving a run, an outage). */
function interposed(store: Store, before: (items: Parameters<Store['commitBatches']>[0]) => Promise<void>): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'commitBatches') {
        return async (items: Parameters<Store['commitBatches']>[0]) => {
          await before(items);
          return target.commitBatches(items);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Opens runs a, b, c, d and the shared run s on `engine`, with a first batch on a and b. */
async function prepare(engine: Engine): Promise<void> {
  for (const runId of ['a', 'b', 'c', 'd']) await engine.openRun(openRequest({ runId, name: runId }));
  await engine.openRun(openRequest({ runId: 's', name: 's', mode: 'shared', label: 'rank-0', primary: true }));
  await engine.openRun(openRequest({ runId: 's', name: 's', mode: 'shared', label: 'rank-1' }));
  const a = new RecordLog();
  await engine.applyBatch(key('a'), [a.metric('loss', { summary: 'min' }), a.log(0, { loss: 3 }, { loss: 2 })]);
  const b = new RecordLog();
  await engine.applyBatch(key('b'), [b.config({ lr: 0.1 }), b.log(0, { acc: 0.5 })]);
}

/** A job as a coordinator gathers it: runs with and without history, a bad record, an unknown run, a later batch of a run, a writer, a gap. */
function job(): BatchItem[] {
  const a = new RecordLog(2);
  const b = new RecordLog(2);
  const c = new RecordLog();
  const s = new RecordLog();
  const d = new RecordLog(2);
  const rows = (log: RecordLog, from: number, n: number, label = ''): RecordMessage =>
    log.rows(Array.from({ length: n }, (_, i) => ({ step: from + i, data: { loss: 1 / (from + i + 1), text: `s${from + i}` } })), label);
  return [
    { run: key('a'), records: [rows(a, 2, 3), a.summary({ best: 1 })] },
    { run: key('b'), records: [b.config({ lr: 0.2 }), rows(b, 1, 2), b.exit(0)] },
    { run: key('c'), records: [rows(c, 0, 4), c.alert('slow', 1_700_000_000)] },
    { run: key('zz'), records: [rows(new RecordLog(), 0, 1)] },
    { run: key('a'), records: [rows(a, 5, 2)] },
    { run: key('s', 'rank-1'), records: [rows(s, 0, 2, 'rank-1')] },
    { run: key('d'), records: [rows(d, 0, 1)] },
  ];
}

async function readAll(engine: Engine) {
  const out: Record<string, unknown> = {};
  for (const runId of ['a', 'b', 'c', 'd', 's']) {
    out[runId] = {
      run: await engine.getRun(key(runId)),
      history: await engine.history(key(runId)),
      alerts: (await engine.alerts(key(runId))).map(({ id: _id, runPk: _pk, ...a }) => a),
      events: (await engine.runEvents(key(runId))).map(({ id: _id, runPk: _pk, ...e }) => e),
    };
  }
  return out;
}

describe.each(EACH_STORE)('Engine.applyBatches over %s', (_name, open) => {
  it('answers and writes what applyBatch would, one batch after the other', async () => {
    await using s1 = await open();
    await using s2 = await open();
    const clock = new FakeClock();
    const one = new Engine(s1.store, { now: clock.now });
    const many = new Engine(s2.store, { now: clock.now });
    await prepare(one);
    await prepare(many);
    const sequential = [];
    for (const item of job()) {
      try {
        sequential.push(await one.applyBatch(item.run, item.records));
      } catch (err) {
        sequential.push({ error: err });
      }
    }
    const together = await many.applyBatches(job());
    expect(together.map(outcome)).toEqual(sequential.map(outcome));
    expect(together.map(outcome)).toMatchObject([
      { appliedSeq: 4 },
      { appliedSeq: 5, rejected: [{ seq: 3, code: 'INVALID_ARGUMENT' }] },
      { appliedSeq: 2 },
      { code: 'NOT_FOUND' },
      { appliedSeq: 5 },
      { appliedSeq: 1 },
      { code: 'FAILED_PRECONDITION', message: expect.stringContaining('expected seq 1') },
    ]);
    expect(await readAll(many)).toEqual(await readAll(one));
    // Applied again (a retried job), nothing changes.
    const before = await readAll(many);
    expect((await many.applyBatches(job())).map(outcome).slice(0, 3)).toEqual([
      { appliedSeq: 5, droppedRows: 0, rejected: [] },
      { appliedSeq: 5, droppedRows: 0, rejected: [] },
      { appliedSeq: 2, droppedRows: 0, rejected: [] },
    ]);
    expect(await readAll(many)).toEqual(before);
  });

  it('applies alone, after a fresh read, a batch whose run another applier moved on', async () => {
    await using s = await open();
    const clock = new FakeClock();
    const writer = new Engine(s.store, { now: clock.now });
    await prepare(writer);
    const c = new RecordLog();
    const first = c.log(0, { loss: 9 });
    const second = c.log(1, { loss: 8 });
    let moved = false;
    const racing = new Engine(
      interposed(s.store, async () => {
        if (moved) return;
        moved = true;
        // Another applier commits c's first record between this one's read and its commit.
        await writer.applyBatch(key('c'), [first]);
      }),
      { now: clock.now },
    );
    const results = await racing.applyBatches([
      { run: key('a'), records: [new RecordLog(2).log(2, { loss: 1 })] },
      { run: key('c'), records: [first, second] },
    ]);
    expect(results.map(outcome)).toMatchObject([{ appliedSeq: 3 }, { appliedSeq: 2 }]);
    expect((await writer.history(key('c'))).map((r) => r['loss'])).toEqual([9, 8]);
    expect((await writer.history(key('a'))).map((r) => r['loss'])).toEqual([3, 2, 1]);
  });

  it('applies each batch alone when the one transaction fails, but not when the store is unreachable', async () => {
    await using s = await open();
    const clock = new FakeClock();
    const plain = new Engine(s.store, { now: clock.now });
    await prepare(plain);
    let failure: CohortError | undefined = new CohortError('INVALID_ARGUMENT', 'store: PostgreSQL refused a value');
    const failing = new Engine(
      interposed(s.store, async (items) => {
        if (failure && items.length > 1) throw failure;
      }),
      { now: clock.now },
    );
    const items = (from: number) => [
      { run: key('c'), records: [new RecordLog(from).log(from, { loss: from })] },
      { run: key('d'), records: [new RecordLog(from).log(from, { loss: from })] },
    ];
    expect((await failing.applyBatches(items(0))).map(outcome)).toMatchObject([{ appliedSeq: 1 }, { appliedSeq: 1 }]);
    failure = new CohortError('UNAVAILABLE', 'store: PostgreSQL unavailable');
    expect((await failing.applyBatches(items(1))).map(outcome)).toEqual([
      { code: 'UNAVAILABLE', message: 'store: PostgreSQL unavailable' },
      { code: 'UNAVAILABLE', message: 'store: PostgreSQL unavailable' },
    ]);
    expect(await plain.appliedSeq(key('c'))).toBe(1);
    failure = undefined;
    expect((await failing.applyBatches(items(1))).map(outcome)).toMatchObject([{ appliedSeq: 2 }, { appliedSeq: 2 }]);
  });
});
