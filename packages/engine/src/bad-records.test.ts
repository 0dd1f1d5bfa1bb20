import { describe, expect, it } from 'vitest';
import type { RecordMessage } from '@cohort/protocol';
import { RUN, RecordLog, makeEngine, openRequest } from './testing/fixtures.js';

/** A record that changes nothing, in place of a bad one, so the seqs stay contiguous. */
const noop = (seq: number): RecordMessage => ({ seq, kind: 'console', console: { timestamp: 0, stream: 'stdout', lines: [], label: '' } });

/** Rows whose second row's JSON cell does not parse (the first row is fine). */
function rowsWithBadJson(log: RecordLog, step: number): RecordMessage {
  const r = log.rows([
    { step, data: { tag: 'ok', x: 100 } },
    { step: step + 1, data: { tag: 'bad', x: 200 } },
  ]);
  if (r.kind !== 'rows') throw new Error('expected rows');
  r.rows.jsonValues[1] = '{not json';
  return r;
}

/**
 * A bad record is left out in the one planning of its batch (docs/SECURITY.md,
 * "One caller must not stall the others"): the planner never starts over, and
 * what it writes is what the batch without the bad records would write, even
 * when a bad record fails halfway through (a rows record whose later row is
 * bad, a config update after a removal, a summary with a bad key after good ones).
 */
describe('bad records in a batch', () => {
  it('reads each record once, however many are bad', async () => {
    await using engine = makeEngine();
    await engine.openRun(openRequest());
    const log = new RecordLog();
    const records: RecordMessage[] = [];
    for (let i = 0; i < 500; i++) records.push(log.log(i, { x: i }));
    for (let i = 0; i < 100; i++) records.push(log.exit(0.5));
    let reads = 0;
    const counted = records.map((r) => {
      const copy = { ...r } as RecordMessage & { kind: string };
      const kind = r.kind;
      Object.defineProperty(copy, 'kind', {
        get: () => {
          reads++;
          return kind;
        },
        enumerable: true,
      });
      return copy as RecordMessage;
    });
    const res = await engine.applyBatch(RUN, counted);
    expect(res.appliedSeq).toBe(600);
    expect(res.rejected).toHaveLength(100);
    expect(res.rejected[0]!.error.message).toContain('exit.exitCode');
    // Planning from the start once per bad record read each record 101 times.
    expect(reads).toBeLessThanOrEqual(records.length);
    expect((await engine.getRun(RUN))!.lastStep).toBe(499);
  });

  it('writes what the batch without its bad records writes, when a record fails halfway', async () => {
    const build = (withBad: boolean) => {
      const log = new RecordLog();
      const out: RecordMessage[] = [];
      const bad = (r: RecordMessage) => out.push(withBad ? r : noop(r.seq));
      out.push(log.config({ lr: 0.1, keep: 1 }));
      out.push(log.log(0, { loss: 1, tag: 'a' }));
      bad(rowsWithBadJson(log, 1)); // row 1 fine, row 2 not: neither may reach the summary or history
      bad(log.config({ lr: 0.5 }, false, ['keep'])); // removes keep, then refuses the change of lr
      bad(log.summary({ best: 7, '': 1 })); // sets best, then refuses the empty key
      bad(log.summary({ other: 2 }, ['']));
      out.push(log.log(1, { loss: 0.5, tag: 'b' }));
      out.push(log.summary({ note: 'kept' }));
      bad({ seq: ++log.seq, kind: 'alert', alert: { title: 't', text: 'x', level: 'LOUD', waitDurationMs: 0, timestamp: 1 } });
      out.push(log.log(2, { loss: 0.25 }));
      return out;
    };
    await using withBad = makeEngine();
    await using without = makeEngine();
    await withBad.openRun(openRequest());
    await without.openRun(openRequest());
    const res = await withBad.applyBatch(RUN, build(true));
    expect((await without.applyBatch(RUN, build(false))).rejected).toEqual([]);
    expect(res.rejected.map((r) => r.seq)).toEqual([3, 4, 5, 6, 9]);
    expect(res.rejected.map((r) => r.error.code)).toEqual(Array(5).fill('INVALID_ARGUMENT'));
    const [a, b] = [(await withBad.getRun(RUN))!, (await without.getRun(RUN))!];
    expect(a.config).toEqual({ lr: 0.1, keep: 1 });
    expect(a.summary).toEqual(b.summary);
    expect(a.summary['best']).toBeUndefined();
    expect(a.summary['tag']).toBe('b');
    expect(a.lastStep).toBe(b.lastStep);
    expect(await withBad.history(RUN)).toEqual(await without.history(RUN));
  });
});
