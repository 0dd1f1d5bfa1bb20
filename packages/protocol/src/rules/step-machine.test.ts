import { describe, expect, it } from 'vitest';
import { normalizeLogData } from './log-values.js';
import { StepMachine, type PendingRow } from './step-machine.js';

function machine(start = 0): { m: StepMachine; rows: PendingRow[] } {
  const rows: PendingRow[] = [];
  return { m: new StepMachine(start, (row) => rows.push(row)), rows };
}

describe('StepMachine', () => {
  it('makes one row per plain log and counts the step up', () => {
    const { m, rows } = machine();
    m.log({ a: 1 }, undefined, undefined, 10);
    m.log({ a: 2 }, undefined, undefined, 11);
    expect(rows).toEqual([
      { step: 0, timestamp: 10, data: { a: 1 } },
      { step: 1, timestamp: 11, data: { a: 2 } },
    ]);
    expect(m.step).toBe(2);
  });

  it('gives one row at step 1 with k=2 for log({k:1},{step:1}); log({k:2})', () => {
    const { m, rows } = machine();
    m.log({ k: 1 }, 1, undefined, 10);
    expect(rows).toEqual([]);
    m.log({ k: 2 }, undefined, undefined, 11);
    expect(rows).toEqual([{ step: 1, timestamp: 11, data: { k: 2 } }]);
    expect(m.step).toBe(2);
  });

  it('flushes pending values as row cur when a higher step comes', () => {
    const { m, rows } = machine();
    m.log({ a: 1 }, 0, undefined, 10);
    m.log({ b: 2 }, 0, undefined, 11);
    m.log({ c: 3 }, 5, undefined, 12);
    expect(rows).toEqual([{ step: 0, timestamp: 11, data: { a: 1, b: 2 } }]);
    expect(m.step).toBe(5);
  });

  it('makes no rows for skipped step numbers', () => {
    const { m, rows } = machine();
    m.log({ a: 1 }, 3, true, 10);
    m.log({ a: 2 }, 7, true, 11);
    expect(rows.map((r) => r.step)).toEqual([3, 7]);
    expect(m.step).toBe(8);
  });

  it('drops a call to a lower step with the reference warning', () => {
    const { m, rows } = machine();
    m.log({ a: 1 }, 5, true, 10);
    const warning = m.log({ a: 2 }, 3, true, 11);
    expect(warning).toBe(
      'Tried to log to step 3 that is less than the current step 6. Steps must be monotonically increasing, so this data will be ignored.',
    );
    expect(rows).toHaveLength(1);
    expect(m.step).toBe(6);
  });

  it('drops a lower step call without flushing what is pending', () => {
    const { m, rows } = machine();
    m.log({ a: 1 }, 4, false, 10);
    expect(m.log({ b: 1 }, 2, undefined, 11)).toMatch(/less than the current step 4/);
    m.flush();
    expect(rows).toEqual([{ step: 4, timestamp: 10, data: { a: 1 } }]);
  });

  it('goes on at the same step without a flush unless commit is true', () => {
    const { m, rows } = machine();
    m.log({ a: 1 }, 0, undefined, 10);
    m.log({ b: 1 }, 0, undefined, 11);
    expect(rows).toEqual([]);
    m.log({ c: 1 }, 0, true, 12);
    expect(rows).toEqual([{ step: 0, timestamp: 12, data: { a: 1, b: 1, c: 1 } }]);
    expect(m.step).toBe(1);
  });

  it('keeps values pending with commit false and no step', () => {
    const { m, rows } = machine();
    m.log({ a: 1 }, undefined, false, 10);
    m.log({ b: 2 }, undefined, false, 11);
    expect(rows).toEqual([]);
    expect(m.step).toBe(0);
    m.log({ c: 3 }, undefined, undefined, 12);
    expect(rows).toEqual([{ step: 0, timestamp: 12, data: { a: 1, b: 2, c: 3 } }]);
  });

  it('lets a later value of the same leaf win and merges nested leaves one by one', () => {
    const { m, rows } = machine();
    m.log({ a: 1, n: { x: 1, y: 1 } }, undefined, false, 10);
    m.log({ a: 2, n: { y: 2, z: 2 } }, undefined, true, 11);
    expect(rows[0]!.data).toEqual({ a: 2, n: { x: 1, y: 2, z: 2 } });
  });

  it('replaces a pending subtree with a later leaf and a leaf with a later subtree', () => {
    const { m, rows } = machine();
    m.log({ a: { b: 1 }, c: 1 }, undefined, false, 10);
    m.log({ a: 5, c: { d: 1 } }, undefined, true, 11);
    expect(rows[0]!.data).toEqual({ a: 5, c: { d: 1 } });
  });

  it('makes a row for log({})', () => {
    const { m, rows } = machine();
    m.log({}, undefined, undefined, 10);
    expect(rows).toEqual([{ step: 0, timestamp: 10, data: {} }]);
  });

  it('makes a row for commit true with nothing pending', () => {
    const { m, rows } = machine();
    m.log({}, 0, true, 10);
    expect(rows).toHaveLength(1);
  });

  it('flushes what is pending at cur on flush() and does nothing when empty', () => {
    const { m, rows } = machine();
    m.flush();
    expect(rows).toEqual([]);
    m.log({ a: 1 }, 2, undefined, 10);
    m.flush();
    expect(rows).toEqual([{ step: 2, timestamp: 10, data: { a: 1 } }]);
    expect(m.step).toBe(3);
    expect(m.hasPending).toBe(false);
  });

  it('uses the timestamp of the last contributing call', () => {
    const { m, rows } = machine();
    m.log({ a: 1 }, undefined, false, 10);
    m.log({ b: 1 }, undefined, false, 20);
    m.flush();
    expect(rows[0]!.timestamp).toBe(20);
  });

  it('lets a _timestamp given in the data override the call time, without a _timestamp cell', () => {
    const { m, rows } = machine();
    m.log(normalizeLogData({ a: 1, _timestamp: 99.5 }), undefined, undefined, 10);
    m.log({ b: 1 }, undefined, false, 11);
    m.log({ _timestamp: 50 }, undefined, true, 12);
    expect(rows).toEqual([
      { step: 0, timestamp: 99.5, data: { a: 1 } },
      { step: 1, timestamp: 50, data: { b: 1 } },
    ]);
  });

  it('starts at the starting step of a resumed run', () => {
    const { m, rows } = machine(42);
    expect(m.step).toBe(42);
    m.log({ a: 1 }, undefined, undefined, 10);
    expect(rows[0]!.step).toBe(42);
    expect(m.log({ a: 1 }, 41, undefined, 10)).toMatch(/step 41 that is less than the current step 43/);
  });

  it('hands the pending object to emit without copying it', () => {
    const { m, rows } = machine();
    const data = { a: 1 };
    m.log(data, undefined, undefined, 10);
    expect(rows[0]!.data).toBe(data);
  });

  it('rewinds with setStep after flushing what is pending', () => {
    const { m, rows } = machine();
    m.log({ a: 1 }, 10, undefined, 10);
    m.setStep(4);
    expect(rows.map((r) => r.step)).toEqual([10]);
    expect(m.step).toBe(4);
  });

  it('rejects a step that is not a number with a TypeError', () => {
    const { m } = machine();
    expect(() => m.log({}, '3' as unknown as number, undefined, 1)).toThrow(TypeError);
  });

  it('rejects a negative or fractional step with INVALID_ARGUMENT', () => {
    const { m } = machine();
    expect(() => m.log({}, -1, undefined, 1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => m.log({}, 1.5, undefined, 1)).toThrow(/Expected `step` to be a non-negative integer/);
    expect(() => new StepMachine(-1, () => {})).toThrow(/startingStep/);
  });

  it('rejects a commit that is not a boolean with a TypeError', () => {
    const { m } = machine();
    expect(() => m.log({}, undefined, 1 as unknown as boolean, 1)).toThrow(/Expected `commit` to be a boolean/);
  });
});
