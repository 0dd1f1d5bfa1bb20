import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { RowsBuilder, type RecordMessage } from '@cohort/protocol';
import { openSqliteStore } from '@cohort/store';
import { Engine } from './engine.js';
import { RUN, RecordLog, makeEngine, openRequest } from './testing/fixtures.js';

/** One row at `step` holding `count` keys `${prefix}${i}`. */
function wideRow(log: RecordLog, step: number, prefix: string, count: number): RecordMessage {
  const data: Record<string, number> = {};
  for (let i = 0; i < count; i++) data[`${prefix}${i}`] = i;
  return log.rows([{ step, data }]);
}

/** Keys per run, the summary's size, and reads that cost by the keys asked for (docs/SECURITY.md, "Limits"). */
describe('run limits', () => {
  it('refuses a record that would take the run past maxKeysPerRun, naming it, and applies the rest', async () => {
    await using engine = new Engine(openSqliteStore(':memory:'), { maxKeysPerRun: 10 });
    await engine.openRun(openRequest());
    const log = new RecordLog();
    // 6 keys and _step, _runtime, _timestamp: 9.
    expect((await engine.applyBatch(RUN, [wideRow(log, 0, 'k', 6)])).rejected).toEqual([]);
    const res = await engine.applyBatch(RUN, [
      log.log(1, { extra: 1 }), // 10: fits
      log.log(2, { more: 1, again: 2 }), // 12: refused
      log.summary({ note: 'x' }), // 11: refused
      log.log(3, { k0: 5, extra: 2 }), // known keys: applies
    ]);
    expect(res.appliedSeq).toBe(5);
    expect(res.rejected.map((r) => [r.seq, r.error.code])).toEqual([[3, 'RESOURCE_EXHAUSTED'], [4, 'RESOURCE_EXHAUSTED']]);
    expect(res.rejected[0]!.error.message).toBe(
      'rows: the run would hold 12 keys; at most 10 are allowed per run (maxKeysPerRun); log fewer distinct keys or start another run',
    );
    expect(res.rejected[1]!.error.message).toContain('summary.setJson: the run would hold 11 keys');
    const run = (await engine.getRun(RUN))!;
    expect(Object.keys(run.summary).sort()).toEqual(['_runtime', '_step', '_timestamp', 'extra', 'k0', 'k1', 'k2', 'k3', 'k4', 'k5']);
    expect(run.lastStep).toBe(3);
    expect(await engine.store.listHistoryKeys((await engine.store.findRun(RUN))!.pk)).not.toContain('more');
  });

  it('refuses a record that could grow the summary past maxSummaryBytes, without counting a key\'s values twice', async () => {
    await using engine = new Engine(openSqliteStore(':memory:'), { maxSummaryBytes: 4000 });
    await engine.openRun(openRequest());
    const log = new RecordLog();
    const text = (n: number, c: string) => c.repeat(n);
    // 20 steps of a 1,000-character value: the summary holds one of them.
    const steps = Array.from({ length: 20 }, (_, i) => ({ note: text(1000, String.fromCharCode(97 + i)) }));
    expect((await engine.applyBatch(RUN, [log.log(0, ...steps)])).rejected).toEqual([]);
    expect((await engine.applyBatch(RUN, [log.log(20, { note: text(1000, 'z') })])).rejected).toEqual([]);
    const res = await engine.applyBatch(RUN, [log.log(21, { big: text(3000, 'b') }), log.summary({ other: text(3000, 'o') }), log.log(22, { loss: 1 })]);
    expect(res.rejected.map((r) => [r.seq, r.error.code])).toEqual([[3, 'RESOURCE_EXHAUSTED'], [4, 'RESOURCE_EXHAUSTED']]);
    expect(res.rejected[0]!.error.message).toMatch(/^rows: the run's summary could grow to \d+ characters; at most 4000 are allowed \(maxSummaryBytes\)/);
    const run = (await engine.getRun(RUN))!;
    expect(run.summary['note']).toBe(text(1000, 'z'));
    expect(run.summary['loss']).toBe(1);
    expect(JSON.stringify(run.summary).length).toBeLessThanOrEqual(4000);
  });

  it('reads one key of a run with 60,000 keys as fast as one of a run with ten', async () => {
    await using engine = new Engine(openSqliteStore(':memory:'), { maxKeysPerRun: 200_000, maxSummaryBytes: 64 * 1024 * 1024 });
    await engine.openRun(openRequest());
    await engine.openRun(openRequest({ runId: 'small' }));
    const log = new RecordLog();
    const batch: RecordMessage[] = [];
    for (let b = 0; b < 6; b++) {
      const rows = new RowsBuilder('');
      const data: Record<string, number> = { loss: b };
      for (let i = 0; i < 10_000; i++) data[`layer_${b}.w${i}`] = i;
      rows.add({ step: b, timestamp: 1_700_000_000 + b, data }, b);
      batch.push({ seq: ++log.seq, kind: 'rows', rows: rows.build() });
    }
    expect((await engine.applyBatch(RUN, batch)).rejected).toEqual([]);
    const small = new RecordLog();
    await engine.applyBatch({ ...RUN, runId: 'small' }, Array.from({ length: 6 }, (_, b) => small.log(b, { loss: b, a: 1 })));
    const time = async (runId: string) => {
      const ms: number[] = [];
      for (let i = 0; i < 7; i++) {
        const t0 = performance.now();
        const res = await engine.series({ ...RUN, runId }, { keys: ['loss'] });
        ms.push(performance.now() - t0);
        expect(res.series['loss']!.points).toBe(6);
        const hist = await engine.history({ ...RUN, runId }, { keys: ['loss'] });
        expect(hist).toHaveLength(6);
      }
      return ms.sort((a, b) => a - b)[3]!;
    };
    const smallMs = await time('small');
    const bigMs = await time(RUN.runId);
    // Reloading the key dictionary per key made this about 100x slower (hundreds of ms).
    expect(bigMs).toBeLessThan(smallMs * 5 + 20);
    // The default series takes the first 1,000 visible keys, the first logged first, without reading the rest.
    const all = await engine.series(RUN, { buckets: 10 });
    expect(Object.keys(all.series)).toHaveLength(1000);
    expect(Object.keys(all.series)[0]).toBe('loss');
  }, 60_000);
});

describe('series reads for a caller that went away', () => {
  it('stop between keys once the signal aborts', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest());
    const log = new RecordLog();
    await engine.applyBatch(RUN, [wideRow(log, 0, 'k', 50), wideRow(log, 1, 'k', 50)]);
    const gone = new AbortController();
    const reading = engine.series(RUN, { signal: gone.signal });
    gone.abort();
    await expect(reading).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED', message: expect.stringMatching(/^series: the caller went away after \d of 50 keys; the read stopped$/) });
    expect(Object.keys((await engine.series(RUN)).series)).toHaveLength(50);
  });
});

describe('run limits with the default settings', () => {
  it('allows 20,000 keys per run and an 8 MiB summary', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest());
    const log = new RecordLog();
    const res = await engine.applyBatch(RUN, [wideRow(log, 0, 'a', 9_000), wideRow(log, 1, 'b', 9_000), wideRow(log, 2, 'c', 3_000)]);
    expect(res.rejected.map((r) => [r.seq, r.error.message.match(/\(max\w+\)/)?.[0]])).toEqual([[3, '(maxKeysPerRun)']]);
  });
});
