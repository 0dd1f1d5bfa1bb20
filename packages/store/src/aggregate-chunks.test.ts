import { describe, expect, it } from 'vitest';
import { AGG_CHUNK_STEPS, chunkRanges, collectAggCells, decodeAggChunk, encodeAggChunk, mergeSeriesIntoChunk, trimAggChunk, type AggChunk } from './aggregate-chunks.js';
import type { AggregateCell } from './group-types.js';

const cellsOf = (c: AggChunk): AggregateCell[] => {
  const out: AggregateCell[] = [];
  collectAggCells('k', c, -Infinity, Infinity, out, Infinity);
  return out;
};

describe('aggregate chunks', () => {
  it('splits ascending steps at chunk boundaries', () => {
    const n = AGG_CHUNK_STEPS;
    expect(chunkRanges([0, 5, n - 1, n, 2 * n + 3, 5 * n])).toEqual([
      [0, 0, 3],
      [1, 3, 4],
      [2, 4, 5],
      [5, 5, 6],
    ]);
    expect(chunkRanges([])).toEqual([]);
  });

  it('merges ranks into count, sum, min and max per step, skipping non-finite values', () => {
    let c = mergeSeriesIntoChunk(undefined, [1, 2, 4], [10, NaN, 40], 0, 3);
    c = mergeSeriesIntoChunk(c, [0, 2, 4, 5], [1, 20, -40, Infinity], 0, 4);
    c = mergeSeriesIntoChunk(c, [4], [4], 0, 1);
    expect(cellsOf(c)).toEqual([
      { key: 'k', step: 0, count: 1, sum: 1, min: 1, max: 1 },
      { key: 'k', step: 1, count: 1, sum: 10, min: 10, max: 10 },
      { key: 'k', step: 2, count: 1, sum: 20, min: 20, max: 20 },
      { key: 'k', step: 4, count: 3, sum: 4, min: -40, max: 40 },
    ]);
  });

  it('round-trips through its blob, from any byte offset, and trims after a step', () => {
    const c = mergeSeriesIntoChunk(undefined, [3, 7, 9], [1.5, -2, 1e300], 0, 3);
    const blob = encodeAggChunk(c);
    const shifted = new Uint8Array(blob.length + 3);
    shifted.set(blob, 3);
    expect(cellsOf(decodeAggChunk(shifted.subarray(3)))).toEqual(cellsOf(c));
    expect(cellsOf(trimAggChunk(c, 7)!).map((x) => x.step)).toEqual([3, 7]);
    expect(trimAggChunk(c, 2)).toBeUndefined();
    expect(() => decodeAggChunk(new Uint8Array(12))).toThrow('12 bytes is not a whole number of cells');
  });
});
