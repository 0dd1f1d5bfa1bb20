import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../../../../test/harness/postgres-service.js';
import { CHUNK_MAX_POINTS } from '../sqlite/history-chunks.js';
import type { NumericSeries } from '../types.js';
import { newRun } from '../testing/new-run.js';
import { PG_SMALL_CHUNK, planMerges } from './pg-compaction.js';
import { openPostgresStore, type PostgresStore } from './postgres-store.js';

const testDatabase = () => createTestDatabase(inject('databaseUrl'));
const range = (from: number, to: number): Float64Array => Float64Array.from({ length: to - from }, (_, i) => from + i);
const heads = (...ns: number[]) => ns.map((n, i) => ({ id: i + 1, n }));

async function chunkSizes(store: PostgresStore, pk: number, keyId = 0): Promise<number[]> {
  const rows = await store.pool.query<{ n: number }>('SELECT n FROM history_chunks WHERE run_pk = $1 AND key_id = $2 ORDER BY last_step', [pk, keyId]);
  return rows.rows.map((r) => r.n);
}

describe('planMerges', () => {
  it('merges each run of consecutive small chunks, never across a big one', () => {
    expect(planMerges(heads(10, 10, 10, 300, 10, 10))).toEqual([[1, 2, 3], [5, 6]]);
    expect(planMerges(heads(300, 400))).toEqual([]);
    expect(planMerges(heads(10))).toEqual([]);
    expect(planMerges([])).toEqual([]);
  });

  it('splits a run of small chunks where it would pass the most points a chunk holds', () => {
    const small = PG_SMALL_CHUNK - 1;
    const perGroup = Math.floor(CHUNK_MAX_POINTS / small);
    const groups = planMerges(heads(...new Array<number>(perGroup * 2 + 2).fill(small)));
    expect(groups.map((g) => g.length)).toEqual([perGroup, perGroup, 2]);
  });

  it('puts a lone small chunk into a neighbour with room, the one before it first', () => {
    expect(planMerges(heads(300, 10, 400))).toEqual([[1, 2]]);
    expect(planMerges(heads(CHUNK_MAX_POINTS, 10, 400))).toEqual([[2, 3]]);
    expect(planMerges(heads(10, 400))).toEqual([[1, 2]]);
    expect(planMerges(heads(CHUNK_MAX_POINTS, 10, CHUNK_MAX_POINTS))).toEqual([]);
    // Each big chunk takes at most one lone neighbour per pass: 300 joins the first, 400 the second.
    expect(planMerges(heads(300, 10, 400, 20))).toEqual([[1, 2], [3, 4]]);
    // A lone small chunk never joins a chunk already merged in this pass.
    const full = Math.floor(CHUNK_MAX_POINTS / 255);
    expect(planMerges(heads(...new Array<number>(full + 1).fill(255)))).toEqual([Array.from({ length: full }, (_, i) => i + 1)]);
  });
});

describe('PostgresStore.compactHistory', () => {
  it('merges only keys with enough small chunks, and reads back the same cells', async () => {
    await using db = await testDatabase();
    await using store = await openPostgresStore(db.url);
    const run = await store.createRun(newRun('a'));
    let seq = 0;
    // x: 40 batches of 5 points; y: 3 batches (too few small chunks to be worth a pass); z: JSON only.
    for (let b = 0; b < 40; b++) {
      const steps = range(b * 5, b * 5 + 5);
      const numeric: NumericSeries[] = [{ key: 'x', steps, values: steps.map((s) => s * 0.5) }];
      if (b < 3) numeric.push({ key: 'y', steps, values: steps });
      expect(await store.commitBatch(run.pk, seq, { appliedSeq: ++seq, numeric, json: [{ key: 'z', steps: [steps[0]!], values: ['"t"'] }] })).toBe(true);
    }
    const before = await store.readHistory(run.pk);
    expect(await chunkSizes(store, run.pk, 0)).toHaveLength(40);
    const report = await store.compactHistory();
    expect(report).toEqual({ runs: 1, keys: 1, chunksRemoved: 40, chunksWritten: 1 });
    expect(await chunkSizes(store, run.pk, 0)).toEqual([200]);
    expect(await chunkSizes(store, run.pk, 1)).toEqual([5, 5, 5]);
    expect(await store.readHistory(run.pk)).toEqual(before);
    // The run's version (the writers' guard) did not move: a writer holding version `seq` still commits.
    expect((await store.getRunByPk(run.pk))?.version).toBe(seq);
    expect(await store.commitBatch(run.pk, seq, { appliedSeq: ++seq, numeric: [{ key: 'x', steps: range(200, 201), values: range(0, 1) }] })).toBe(true);
    // A lower threshold takes y too.
    expect(await store.compactHistory({ minSmallChunks: 2 })).toMatchObject({ runs: 1, keys: 2 });
    expect(await chunkSizes(store, run.pk, 1)).toEqual([15]);
  });

  it('merges consecutive chunks in the database and sparse or gapped ones here, to the same cells', async () => {
    await using db = await testDatabase();
    await using store = await openPostgresStore(db.url);
    const run = await store.createRun(newRun('a'));
    let seq = 0;
    for (let b = 0; b < 10; b++) {
      const dense = range(b * 4, b * 4 + 4);
      // Every other step (a steps blob per chunk), and consecutive steps with a gap between batches.
      const sparse = dense.map((s) => s * 2);
      const gapped = range(b * 10, b * 10 + 4);
      await store.commitBatch(run.pk, seq, {
        appliedSeq: ++seq,
        numeric: [
          { key: 'dense', steps: dense, values: dense.map((v) => v / 3) },
          { key: 'sparse', steps: sparse, values: sparse.map((v) => -v) },
          { key: 'gapped', steps: gapped, values: gapped.map((v) => v * 1.5) },
        ],
      });
    }
    const before = await store.readHistory(run.pk);
    expect(await store.compactHistory()).toEqual({ runs: 1, keys: 3, chunksRemoved: 30, chunksWritten: 3 });
    expect(await store.readHistory(run.pk)).toEqual(before);
    const layout = await store.pool.query<{ key_id: number; n: number; dense: boolean }>(
      'SELECT key_id, n, octet_length(steps) = 0 AS dense FROM history_chunks WHERE run_pk = $1 ORDER BY key_id',
      [run.pk],
    );
    expect(layout.rows).toEqual([
      { key_id: 0, n: 40, dense: true },
      { key_id: 1, n: 40, dense: false },
      { key_id: 2, n: 40, dense: false },
    ]);
  });

  it('bounds one pass by keys and by chunks per run; later passes finish the work', async () => {
    await using db = await testDatabase();
    await using store = await openPostgresStore(db.url);
    const run = await store.createRun(newRun('a'));
    let seq = 0;
    for (let b = 0; b < 30; b++) {
      const steps = range(b * 2, b * 2 + 2);
      await store.commitBatch(run.pk, seq, {
        appliedSeq: ++seq,
        numeric: ['a', 'b', 'c'].map((key) => ({ key, steps, values: steps })),
      });
    }
    expect(await store.compactHistory({ maxKeys: 1 })).toMatchObject({ runs: 1, keys: 1, chunksRemoved: 30 });
    expect(await store.compactHistory({ maxChunksPerRun: 30 })).toMatchObject({ runs: 1, keys: 1, chunksRemoved: 30 });
    expect(await store.compactHistory()).toMatchObject({ runs: 1, keys: 1, chunksRemoved: 30 });
    for (const keyId of [0, 1, 2]) expect(await chunkSizes(store, run.pk, keyId)).toEqual([60]);
  });

  it('runs beside writers of the same runs and loses or doubles no cell', async () => {
    await using db = await testDatabase();
    await using store = await openPostgresStore(db.url, { max: 8 });
    const runs = await Promise.all(['a', 'b', 'c', 'd'].map((id) => store.createRun(newRun(id))));
    const BATCHES = 120;
    const write = async (pk: number): Promise<void> => {
      for (let b = 0; b < BATCHES; b++) {
        const steps = range(b * 3, b * 3 + 3);
        const ok = await store.commitBatch(pk, b, { appliedSeq: b + 1, numeric: [{ key: 'loss', steps, values: steps.map((s) => s + pk / 10) }] });
        expect(ok).toBe(true);
      }
    };
    let passes = 0;
    let stop = false;
    const compactor = (async () => {
      while (!stop) {
        await store.compactHistory({ minSmallChunks: 2 });
        passes++;
      }
    })();
    await Promise.all(runs.map((r) => write(r.pk)));
    stop = true;
    await compactor;
    await store.compactHistory({ minSmallChunks: 2 });
    expect(passes).toBeGreaterThan(1);
    for (const r of runs) {
      const cols = await store.readHistory(r.pk);
      const want = range(0, BATCHES * 3);
      expect(Array.from(cols.numeric[0]!.steps)).toEqual(Array.from(want));
      expect(Array.from(cols.numeric[0]!.values)).toEqual(Array.from(want, (s) => s + r.pk / 10));
      // Merged as the writes went: no two small chunks left side by side.
      const sizes = await chunkSizes(store, r.pk);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(BATCHES * 3);
      expect(sizes.length).toBeLessThan(BATCHES / 4);
      for (let i = 1; i < sizes.length; i++) expect(Math.max(sizes[i - 1]!, sizes[i]!)).toBeGreaterThanOrEqual(PG_SMALL_CHUNK);
    }
  });

  it('leaves a rewound run with exactly the cells up to its rewind step, and a fork with its copy', async () => {
    await using db = await testDatabase();
    await using store = await openPostgresStore(db.url);
    const run = await store.createRun(newRun('a'));
    let seq = 0;
    for (let b = 0; b < 20; b++) {
      await store.commitBatch(run.pk, seq, { appliedSeq: ++seq, numeric: [{ key: 'x', steps: range(b * 10, b * 10 + 10), values: range(b * 10, b * 10 + 10) }] });
    }
    const [, forked] = await Promise.all([store.compactHistory(), store.forkRun(run.pk, 105, newRun('f'))]);
    expect(Array.from((await store.readHistory(forked.pk)).numeric[0]!.steps)).toEqual(Array.from(range(0, 106)));
    expect(await store.rewindRun(run.pk, seq++, 55, {})).toBe(true);
    await store.compactHistory({ minSmallChunks: 1 });
    expect(Array.from((await store.readHistory(run.pk)).numeric[0]!.steps)).toEqual(Array.from(range(0, 56)));
    expect(await store.commitBatch(run.pk, seq, { appliedSeq: ++seq, numeric: [{ key: 'x', steps: range(56, 60), values: range(56, 60) }] })).toBe(true);
    expect(Array.from((await store.readHistory(run.pk)).numeric[0]!.steps)).toEqual(Array.from(range(0, 60)));
  });
});
