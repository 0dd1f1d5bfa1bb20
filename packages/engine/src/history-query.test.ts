import { describe, expect, it } from 'vitest';
import { RowsBuilder, type RecordMessage } from '@cohort/protocol';
import { RUN, RecordLog, makeEngine, openRequest } from './testing/fixtures.js';

describe('Engine history queries', () => {
  it('returns rows as logged, nested, with the automatic keys', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest());
    const log = new RecordLog();
    await engine.applyBatch(RUN, [
      log.rows([
        { step: 0, data: { train: { loss: 1, 'a.b': 2 }, img: { _type: 'image', path: 'x.png' } }, timestamp: 10, runtime: 0.5 },
        { step: 3, data: { ok: true, n: null, inf: Infinity }, timestamp: 11, runtime: 1.5 },
      ]),
    ]);
    expect(await engine.history(RUN)).toEqual([
      { _step: 0, _runtime: 0.5, _timestamp: 10, train: { loss: 1, 'a.b': 2 }, img: { _type: 'image', path: 'x.png' } },
      { _step: 3, _runtime: 1.5, _timestamp: 11, ok: true, n: null, inf: Infinity },
    ]);
  });

  it('filters by keys: rows holding one of them, with those keys and _step', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest());
    const log = new RecordLog();
    await engine.applyBatch(RUN, [log.log(0, { a: 1, b: 1 }, { c: 1 }, { b: 2, d: { e: 1, f: 2 } }, { a: 3 })]);
    expect(await engine.history(RUN, { keys: ['a', 'b'] })).toEqual([
      { _step: 0, a: 1, b: 1 },
      { _step: 2, b: 2 },
      { _step: 3, a: 3 },
    ]);
    expect(await engine.history(RUN, { keys: ['d'] })).toEqual([{ _step: 2, d: { e: 1, f: 2 } }]);
    expect(await engine.history(RUN, { keys: ['zzz'] })).toEqual([]);
    expect(await engine.history(RUN, { keys: ['a'], minStep: 1, maxStep: 3 })).toEqual([{ _step: 3, a: 3 }]);
  });

  it('keeps every row when a key has no more points than samples', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest());
    const log = new RecordLog();
    await engine.applyBatch(RUN, [log.log(0, ...Array.from({ length: 101 }, (_, i) => ({ x: i })))]);
    expect((await engine.history(RUN, { samples: 101 })).map((r) => r['_step'])).toEqual(Array.from({ length: 101 }, (_, i) => i));
    await expect(engine.history(RUN, { samples: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('keeps the row of a one-step spike in 100k steps, in step order, within the step range', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest());
    const log = new RecordLog();
    const n = 100_000;
    for (let from = 0; from < n; from += 10_000) {
      await engine.applyBatch(RUN, [log.rows(Array.from({ length: 10_000 }, (_, i) => ({ step: from + i, data: { loss: from + i === 54_321 ? 1e6 : 1, note: 'ok' }, runtime: (from + i) / 10 })))]);
    }
    // One row over the bound of an unsampled query.
    await engine.applyBatch(RUN, [log.rows([{ step: n, data: { loss: 1, note: 'ok' }, runtime: n / 10 }])]);
    const rows = await engine.history(RUN, { keys: ['loss'], samples: 100 });
    expect(rows.length).toBeLessThanOrEqual(100);
    expect(rows).toContainEqual({ _step: 54_321, loss: 1e6 });
    const steps = rows.map((r) => r['_step'] as number);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(steps.at(-1)).toBe(n);

    const ranged = await engine.history(RUN, { keys: ['loss'], samples: 30, minStep: 50_000, maxStep: 59_999 });
    expect(ranged.every((r) => (r['_step'] as number) >= 50_000 && (r['_step'] as number) <= 59_999)).toBe(true);
    expect(ranged).toContainEqual({ _step: 54_321, loss: 1e6 });
    expect(await engine.history(RUN, { keys: ['loss'], samples: 30, minStep: 60_000 })).not.toContainEqual({ _step: 54_321, loss: 1e6 });

    // Every key keeps its own extremes; rows are whole rows, W&B-shaped.
    const all = await engine.history(RUN, { samples: 60, xAxis: '_runtime' });
    const spike = all.find((r) => r['_step'] === 54_321);
    expect(spike).toEqual({ _step: 54_321, _runtime: 5432.1, _timestamp: 1_700_000_000 + 54_321, loss: 1e6, note: 'ok' });
    const runtimes = all.map((r) => r['_runtime'] as number);
    expect(runtimes).toEqual([...runtimes].sort((a, b) => a - b));
    await expect(engine.history(RUN)).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
  });

  it('scans every row exactly once, page by page', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest());
    const log = new RecordLog();
    // Sparse steps over several batches and chunk boundaries.
    for (let b = 0; b < 7; b++) {
      await engine.applyBatch(RUN, [log.rows(Array.from({ length: 900 }, (_, i) => ({ step: (b * 900 + i) * 3, data: { x: b * 900 + i, ...(i % 7 === 0 && { s: 'j' }) } })))]);
    }
    const seen: number[] = [];
    let from: number | null = 0;
    let pages = 0;
    while (from !== null) {
      const page = await engine.scanHistory(RUN, { fromStep: from, pageSize: 1000 });
      for (const r of page.rows) {
        expect(r['_step']).toBe((r['x'] as number) * 3);
        seen.push(r['_step'] as number);
      }
      from = page.nextStep;
      pages++;
    }
    expect(pages).toBe(7);
    expect(seen).toEqual(Array.from({ length: 6300 }, (_, i) => i * 3));
  });

  it('stores and reads back a run of a million steps', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest());
    const N = 1_000_000;
    const per = 50_000;
    let seq = 0;
    for (let start = 0; start < N; start += per) {
      const b = new RowsBuilder();
      for (let s = start; s < start + per; s++) b.add({ step: s, timestamp: 1e9 + s, data: { loss: 1 / (s + 1) } }, s / 10);
      const rec: RecordMessage = { seq: ++seq, kind: 'rows', rows: b.build() };
      await engine.applyBatch(RUN, [rec]);
    }
    const rows = await engine.history(RUN, { keys: ['loss'], maxRows: N });
    expect(rows).toHaveLength(N);
    for (let s = 0; s < N; s += 9973) expect(rows[s]).toEqual({ _step: s, loss: 1 / (s + 1) });
    expect(rows[N - 1]).toEqual({ _step: N - 1, loss: 1 / N });
    const page = await engine.scanHistory(RUN, { fromStep: 654_321, pageSize: 3 });
    expect(page.rows.map((r) => r['_step'])).toEqual([654_321, 654_322, 654_323]);
    expect(page.nextStep).toBe(654_324);
    const sampled = await engine.history(RUN, { samples: 1000 });
    // A falling loss: per bucket its max is the first row and its min the last.
    expect(sampled).toHaveLength(666);
    expect(sampled.at(-1)).toMatchObject({ _step: N - 1, _runtime: (N - 1) / 10 });
    const run = await engine.getRun(RUN);
    expect(run).toMatchObject({ lastStep: N - 1, summary: { loss: 1 / N } });
  }, 120_000);
});
