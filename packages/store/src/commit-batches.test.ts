import { describe, expect, it } from 'vitest';
import { EACH_STORE } from '../../../test/harness/stores.js';
import type { Store } from './store.js';
import type { BatchCommit, StoredRun } from './types.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { newRun } from './testing/new-run.js';

/** The stored chunk layout (run, key id, steps, count) of a Postgres store. */
async function layout(store: PostgresStore): Promise<unknown[]> {
  return (await store.pool.query('SELECT run_pk, key_id, first_step, last_step, n FROM history_chunks ORDER BY run_pk, key_id, first_step')).rows;
}

const range = (from: number, to: number): Float64Array => Float64Array.from({ length: to - from }, (_, i) => from + i);
const series = (key: string, from: number, to: number) => ({ key, steps: range(from, to), values: range(from, to).map((v) => v / 2) });

async function createRuns(store: Store, ids: string[]): Promise<StoredRun[]> {
  const out: StoredRun[] = [];
  for (const runId of ids) out.push(await store.createRun(newRun(runId)));
  return out;
}

/** Everything a batch writes to a run that a reader sees. */
async function snapshot(store: Store, pk: number) {
  const run = (await store.getRunByPk(pk))!;
  return {
    run: { appliedSeq: run.appliedSeq, version: run.version, lastStep: run.lastStep, summaryJson: run.summaryJson, state: run.state },
    keys: await store.listHistoryKeys(pk),
    history: await store.readHistory(pk),
    alerts: (await store.listAlerts(pk)).map(({ id: _id, ...a }) => a),
    events: (await store.listRunEvents(pk)).map(({ id: _id, ...e }) => e),
  };
}

describe.each(EACH_STORE)('commitBatches over %s', (_name, open) => {
  it('writes the same rows, keys, summaries and chunks as one commitBatch per run', async () => {
    // Two fresh stores of one kind: one written batch by batch, one with commitBatches.
    await using one = await open();
    await using two = await open();
    const stores = { single: one.store, multi: two.store };
    const ids = ['a', 'b', 'c', 'd'];
    const first = (pks: StoredRun[]): BatchCommit[] => [
      // a: small chunks, then more of them; b: a big chunk, then a small one; c: nothing yet; d: a shared-mode writer.
      { pk: pks[0]!.pk, expectedVersion: 0, write: { appliedSeq: 1, run: { lastStep: 9 }, numeric: [series('x', 0, 10), series('y', 0, 10)], json: [{ key: 't', steps: [5], values: ['"five"'] }] } },
      { pk: pks[1]!.pk, expectedVersion: 0, write: { appliedSeq: 1, run: { lastStep: 1999 }, numeric: [series('x', 0, 2000)] } },
      { pk: pks[3]!.pk, expectedVersion: 0, write: { appliedSeq: 1, writer: 'w1', numeric: [series('z', 0, 5)] } },
    ];
    const second = (pks: StoredRun[]): BatchCommit[] => [
      {
        pk: pks[0]!.pk,
        expectedVersion: 1,
        write: {
          appliedSeq: 2,
          run: { lastStep: 19, summaryJson: '{"x":9.5}' },
          numeric: [series('x', 10, 20), series('w', 10, 12)],
          json: [
            { key: 't', steps: [12], values: ['"twelve"'] },
            { key: 'u', steps: [10, 10], values: ['1', '2'] },
            // A key with numeric cells gets a JSON one: its numeric tail stays.
            { key: 'y', steps: [15], values: ['"text"'] },
          ],
        },
      },
      { pk: pks[1]!.pk, expectedVersion: 1, write: { appliedSeq: 3, run: { lastStep: 2009, state: 'finished' }, numeric: [series('x', 2000, 2010), series('y', 2000, 2002)], events: [{ state: 'finished', at: 5, detail: 'exit code 0' }] } },
      {
        pk: pks[2]!.pk,
        expectedVersion: 0,
        write: {
          appliedSeq: 1,
          numeric: [series('x', 0, 3)],
          json: [{ key: 't', steps: [0], values: ['{"a":1}'] }],
          alerts: [{ title: 'slow', text: 'text', level: 'WARN', timestamp: 3, waitDurationMs: 0, suppressed: false }],
        },
      },
      { pk: pks[3]!.pk, expectedVersion: 1, write: { appliedSeq: 2, writer: 'w1', run: { heartbeatAt: 7 }, numeric: [series('z', 5, 7)] } },
    ];
    const singlePks = await createRuns(stores.single, ids);
    const multiPks = await createRuns(stores.multi, ids);
    for (const c of [...first(singlePks), ...second(singlePks)]) expect(await stores.single.commitBatch(c.pk, c.expectedVersion, c.write)).toBe(true);
    expect(await stores.multi.commitBatches(first(multiPks))).toEqual([true, true, true]);
    expect(await stores.multi.commitBatches(second(multiPks))).toEqual([true, true, true, true]);

    for (let i = 0; i < ids.length; i++) {
      expect(await snapshot(stores.multi, multiPks[i]!.pk)).toEqual(await snapshot(stores.single, singlePks[i]!.pk));
    }
    const a = await snapshot(stores.multi, multiPks[0]!.pk);
    expect(a.keys).toEqual(['x', 'y', 't', 'w', 'u']);
    expect(a.history.numeric.find((s) => s.key === 'x')?.steps).toEqual(range(0, 20));
    expect(a.history.json.find((s) => s.key === 'u')).toEqual({ key: 'u', steps: [10], values: ['2'] });
    expect(a.history.numeric.find((s) => s.key === 'y')?.steps).toEqual(range(0, 10));
    expect(a.history.json.find((s) => s.key === 'y')).toEqual({ key: 'y', steps: [15], values: ['"text"'] });
    expect((await snapshot(stores.multi, multiPks[1]!.pk)).keys).toEqual(['x', 'y']);
    expect(await stores.multi.writerAppliedSeqs([{ pk: multiPks[3]!.pk, writer: 'w1' }, { pk: multiPks[3]!.pk, writer: '' }])).toEqual([2, 0]);
    if (stores.multi instanceof PostgresStore && stores.single instanceof PostgresStore) {
      const chunks = await layout(stores.multi);
      expect(chunks).toEqual(await layout(stores.single));
      // Each batch's cells are a chunk of their own (compaction merges them later).
      expect(chunks).toContainEqual({ run_pk: multiPks[0]!.pk, key_id: 0, first_step: 0, last_step: 9, n: 10 });
      expect(chunks).toContainEqual({ run_pk: multiPks[0]!.pk, key_id: 0, first_step: 10, last_step: 19, n: 10 });
      expect(chunks).toContainEqual({ run_pk: multiPks[1]!.pk, key_id: 0, first_step: 2000, last_step: 2009, n: 10 });
      expect(await stores.multi.compactHistory({ minSmallChunks: 1 })).toMatchObject({ runs: 3, chunksRemoved: 2 + 2 + 2 });
      const merged = await layout(stores.multi);
      expect(merged).toContainEqual({ run_pk: multiPks[0]!.pk, key_id: 0, first_step: 0, last_step: 19, n: 20 });
      // b's small chunk joined its big neighbour; d's shared-mode writer's two chunks merged.
      expect(merged).toContainEqual({ run_pk: multiPks[1]!.pk, key_id: 0, first_step: 0, last_step: 2009, n: 2010 });
      expect(merged).toContainEqual({ run_pk: multiPks[3]!.pk, key_id: 0, first_step: 0, last_step: 6, n: 7 });
      expect(await snapshot(stores.multi, multiPks[0]!.pk)).toEqual(a);
    }
  });

  it('skips only the run whose version moved on; the others commit', async () => {
    await using s = await open();
    const store = s.store;
    const [a, b, c] = await createRuns(store, ['a', 'b', 'c']);
    expect(await store.updateRun(b!.pk, { notes: 'moved by another applier' })).toBe(true);
    const write = { appliedSeq: 4, run: { lastStep: 2 }, numeric: [series('x', 0, 3)] };
    expect(await store.commitBatches([a!, b!, c!].map((r) => ({ pk: r.pk, expectedVersion: 0, write })))).toEqual([true, false, true]);
    const lost = await snapshot(store, b!.pk);
    expect(lost.run).toMatchObject({ appliedSeq: 0, version: 1, lastStep: null });
    expect(lost.keys).toEqual([]);
    for (const r of [a!, c!]) {
      const won = await snapshot(store, r.pk);
      expect(won.run).toMatchObject({ appliedSeq: 4, version: 1, lastStep: 2 });
      expect(won.history.numeric.map((s) => [s.key, [...s.steps]])).toEqual([['x', [0, 1, 2]]]);
    }
  });

  it('writes nothing of any batch when one of them fails, and hands out the same key ids after', async () => {
    await using s = await open();
    const store = s.store;
    const [a, b] = await createRuns(store, ['a', 'b']);
    expect(await store.commitBatch(a!.pk, 0, { appliedSeq: 1, numeric: [series('x', 0, 10)] })).toBe(true);
    const bad = { pk: a!.pk, expectedVersion: 1, write: { appliedSeq: 2, numeric: [series('x', 5, 6)] } };
    const good = { pk: b!.pk, expectedVersion: 0, write: { appliedSeq: 1, numeric: [series('q', 0, 1), series('x', 0, 1)] } };
    await expect(store.commitBatches([good, bad])).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringContaining('key "x" gets step 5') });
    expect((await snapshot(store, b!.pk)).run).toMatchObject({ appliedSeq: 0, version: 0 });
    expect(await store.listHistoryKeys(b!.pk)).toEqual([]);
    expect(await store.commitBatches([{ ...good, write: { appliedSeq: 1, numeric: [series('x', 0, 1)] } }])).toEqual([true]);
    expect(await store.listHistoryKeys(b!.pk)).toEqual(['x']);
    await expect(store.commitBatches([good, { ...good, expectedVersion: 1 }])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: `commitBatches: items[1].pk: expected one item per run, got run ${b!.pk} again (first at items[0])`,
    });
  });

  it('finds runs by key in order, missing ones as undefined', async () => {
    await using s = await open();
    const store = s.store;
    const [a, b] = await createRuns(store, ['a', 'b']);
    const found = await store.findRuns([
      { entity: 'e', project: 'p', runId: 'b' },
      { entity: 'e', project: 'p', runId: 'none' },
      { entity: 'e', project: 'p', runId: 'a' },
    ]);
    expect(found.map((r) => r?.pk)).toEqual([b!.pk, undefined, a!.pk]);
    expect(await store.findRuns([])).toEqual([]);
    expect(await store.writerAppliedSeqs([{ pk: a!.pk, writer: 'nobody' }])).toEqual([0]);
  });
});
