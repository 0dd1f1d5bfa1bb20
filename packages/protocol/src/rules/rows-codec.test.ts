import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord } from '../codec.js';
import { forEachLeaf, unflatten } from '../leaf-path.js';
import { emptyRows, type RowsMessage } from '../records.js';
import { forEachRow, pendingRowLeaves, RowsBuilder, validateRows, type RowLeaf } from './rows-codec.js';
import type { PendingRow } from './step-machine.js';

function collect(rows: RowsMessage): Array<{ step: number | undefined; timestamp: number; runtime: number; leaves: RowLeaf[] }> {
  const out: Array<{ step: number | undefined; timestamp: number; runtime: number; leaves: RowLeaf[] }> = [];
  forEachRow(rows, (_i, step, timestamp, runtime, leaves) => out.push({ step, timestamp, runtime, leaves }));
  return out;
}

function dataOf(leaves: RowLeaf[]): Record<string, unknown> {
  return unflatten(leaves.filter(([p]) => p !== '_step' && p !== '_runtime' && p !== '_timestamp'));
}

describe('RowsBuilder', () => {
  it('packs a flat row of numbers into columns with a key dictionary', () => {
    const b = new RowsBuilder();
    b.add({ step: 0, timestamp: 100, data: { loss: 0.5, acc: 0.9 } }, 1);
    b.add({ step: 1, timestamp: 101, data: { acc: 0.95, loss: 0.4 } }, 2);
    expect(b.size).toBe(2);
    expect(b.points).toBe(4);
    expect(b.build()).toEqual({
      ...emptyRows(),
      keys: ['loss', 'acc'],
      steps: [0, 1],
      timestamps: [100, 101],
      runtimes: [1, 2],
      numCounts: [2, 2],
      numKeys: [0, 1, 1, 0],
      numValues: [0.5, 0.9, 0.95, 0.4],
      jsonCounts: [0, 0],
    });
  });

  it('writes non-numbers as JSON text and nested leaves under escaped paths', () => {
    const b = new RowsBuilder();
    b.add({ step: 3, timestamp: 1, data: { s: 'x', t: true, n: null, arr: [1, 'a'], e: {}, 'a.b': { 'c\\d': 1, deep: { z: 'q' } } } }, 0);
    const rows = b.build();
    expect(rows.keys).toEqual(['s', 't', 'n', 'arr', 'e', 'a\\.b.c\\\\d', 'a\\.b.deep.z']);
    expect(rows.jsonValues).toEqual(['"x"', 'true', 'null', '[1,"a"]', '{}', '"q"']);
    expect(rows.numValues).toEqual([1]);
  });

  it('does not write automatic keys as cells', () => {
    const b = new RowsBuilder();
    b.add({ step: 0, timestamp: 1, data: { _step: 9, _runtime: 'x', _timestamp: 3, _other: 1 } }, 0);
    expect(b.build().keys).toEqual(['_other']);
  });

  it('starts a fresh message with its own key dictionary after build', () => {
    const b = new RowsBuilder();
    b.add({ step: 0, timestamp: 1, data: { a: 1, b: 2 } }, 0);
    b.build();
    expect(b.size).toBe(0);
    expect(b.points).toBe(0);
    b.add({ step: 1, timestamp: 2, data: { b: 3, n: { c: 1 } } }, 0);
    const rows = b.build();
    expect(rows.keys).toEqual(['b', 'n.c']);
    expect(rows.numKeys).toEqual([0, 1]);
  });

  it('leaves steps out and sets the label in shared mode', () => {
    const b = new RowsBuilder('rank-1');
    b.add({ step: 5, timestamp: 1, data: { a: 1 } }, 0.5);
    const rows = b.build();
    expect(rows.label).toBe('rank-1');
    expect(rows.steps).toEqual([]);
    expect(collect(rows)[0]).toEqual({ step: undefined, timestamp: 1, runtime: 0.5, leaves: [['a', 1], ['_runtime', 0.5], ['_timestamp', 1]] });
    expect(new RowsBuilder('x', { steps: true }).build().label).toBe('x');
  });

  it('builds an empty message when no row was added', () => {
    expect(new RowsBuilder().build()).toEqual(emptyRows());
  });
});

describe('forEachRow', () => {
  it('round-trips rows through the record codec: NaN, infinities, dotted keys, strings, booleans, null, arrays and empty objects', () => {
    const input: PendingRow[] = [
      { step: 0, timestamp: 10.5, data: { loss: NaN, inf: Infinity, ninf: -Infinity, 'a.b': { c: 1 }, s: 'str', t: false, n: null } },
      { step: 1, timestamp: 11.5, data: { arr: [1, NaN, 'x'], e: {}, nested: { deep: { v: -0.5 } }, 'x\\y': 2 } },
      { step: 5, timestamp: 12.5, data: {} },
    ];
    const b = new RowsBuilder();
    input.forEach((row, i) => b.add(row, i * 2));
    const record = decodeRecord(encodeRecord({ seq: 1, kind: 'rows', rows: b.build() }));
    if (record.kind !== 'rows') throw new Error('not rows');
    const out = collect(record.rows);
    expect(out).toHaveLength(3);
    out.forEach((row, i) => {
      expect(row.step).toBe(input[i]!.step);
      expect(row.timestamp).toBe(input[i]!.timestamp);
      expect(row.runtime).toBe(i * 2);
      expect(dataOf(row.leaves)).toEqual(input[i]!.data);
      expect(row.leaves.slice(-3)).toEqual([['_step', input[i]!.step], ['_runtime', i * 2], ['_timestamp', input[i]!.timestamp]]);
    });
  });

  it('gives the same leaves as pendingRowLeaves, up to order', () => {
    const row: PendingRow = { step: 2, timestamp: 5, data: { a: 1, b: { c: 'x', d: 2 }, e: [1] } };
    const b = new RowsBuilder();
    b.add(row, 3);
    const sort = (l: RowLeaf[]): RowLeaf[] => [...l].sort((x, y) => x[0].localeCompare(y[0]));
    expect(sort(collect(b.build())[0]!.leaves)).toEqual(sort(pendingRowLeaves(row, 3)));
    expect(pendingRowLeaves(row, 3, false).map(([p]) => p)).not.toContain('_step');
  });

  it('gives each row its own leaves array', () => {
    const b = new RowsBuilder();
    b.add({ step: 0, timestamp: 1, data: { a: 1 } }, 0);
    b.add({ step: 1, timestamp: 2, data: { a: 2 } }, 0);
    const out = collect(b.build());
    expect(out[0]!.leaves).not.toBe(out[1]!.leaves);
    expect(out[0]!.leaves[0]).toEqual(['a', 1]);
  });
});

describe('validateRows', () => {
  const good = (): RowsMessage => ({
    ...emptyRows(),
    keys: ['a', 'b'],
    steps: [0],
    timestamps: [1],
    runtimes: [0],
    numCounts: [1],
    numKeys: [0],
    numValues: [1],
    jsonCounts: [1],
    jsonKeys: [1],
    jsonValues: ['"x"'],
  });

  it('accepts a consistent message and returns its row count', () => {
    expect(validateRows(good())).toBe(1);
  });

  it.each<[string, (r: RowsMessage) => void, RegExp]>([
    ['missing runtimes', (r) => (r.runtimes = []), /runtimes/],
    ['a partial steps column', (r) => (r.steps = [0, 1]), /steps/],
    ['a fractional step', (r) => (r.steps = [0.5]), /steps\[0\]: step must be an integer from 0 and up/],
    ['a negative step', (r) => (r.steps = [-1]), /steps\[0\]: step must be an integer from 0 and up/],
    ['counts that do not add up', (r) => (r.numCounts = [2]), /numKeys: holds 1 cells but numCounts adds up to 2/],
    ['a missing numCounts entry', (r) => (r.numCounts = []), /numCounts/],
    ['json counts that do not add up', (r) => (r.jsonValues = []), /jsonValues: holds 0 values but jsonKeys holds/],
    ['a key index out of range', (r) => (r.numKeys = [7]), /numKeys\[0\]: key id 7 is out of range/],
    ['an automatic key as a cell', (r) => (r.keys = ['_step', 'b']), /keys\[0\]: key "_step" is automatic/],
    ['an empty key', (r) => (r.keys = ['', 'b']), /non-empty leaf path/],
  ])('rejects %s with INVALID_ARGUMENT', (_name, breakIt, message) => {
    const rows = good();
    breakIt(rows);
    expect(() => validateRows(rows)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => validateRows(rows)).toThrow(message);
  });

  it('rejects a JSON cell that is not JSON from forEachRow, visiting nothing', () => {
    const rows = { ...good(), jsonValues: ['{nope'] };
    const visited: number[] = [];
    expect(() => forEachRow(rows, (i) => visited.push(i))).toThrow(/jsonValues\[0\]: value is not valid JSON/);
    expect(visited).toEqual([]);
  });
});

describe('RowsBuilder and forEachLeaf agree on paths', () => {
  it('uses the leaf paths of forEachLeaf', () => {
    const data = { 'a.b': { 'c.d': 1, e: { f: 'x' } }, g: 2 };
    const paths: string[] = [];
    forEachLeaf(data, (p) => paths.push(p));
    const b = new RowsBuilder();
    b.add({ step: 0, timestamp: 0, data }, 0);
    expect(b.build().keys.sort()).toEqual(paths.sort());
  });
});
