import { describe, expect, it } from 'vitest';
import { composite, packColor, rasterizeLine, type Box } from './line-raster.js';

/** A 10 × 5 box with x and y from 0 to 9 and 0 to 4: a value is its pixel. */
const box = (over: Partial<Box> = {}): Box => ({ width: 10, height: 5, x: { min: 0, max: 9, log: false }, y: { min: 0, max: 4, log: false }, thickness: 1, ...over });
/** The pixels as distinct `[column, row]` pairs (row 0 at the top), by column then row. */
const cells = (pixels: Int32Array, width = 10): Array<[number, number]> =>
  [...new Set(pixels)].map((p): [number, number] => [p % width, Math.floor(p / width)]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);

describe('rasterizeLine', () => {
  it('draws a line through each point, y upwards', () => {
    expect(cells(rasterizeLine([0, 9], [0, 0], 0, 1, box()))).toEqual(Array.from({ length: 10 }, (_, x) => [x, 4]));
    expect(cells(rasterizeLine([0, 4], [0, 4], 0, 1, box()))).toEqual([[0, 4], [1, 3], [2, 2], [3, 1], [4, 0]]);
  });

  it('covers the span of many points in one column (first, last, lowest, highest), not each segment', () => {
    const xs = Array.from({ length: 100_001 }, (_, i) => (i < 100_000 ? 2 + i / 1e6 : 3));
    const ys = xs.map((_, i) => (i === 50_000 ? 4 : i === 70_000 ? 1 : 2));
    expect(cells(rasterizeLine(xs, ys, 0, xs.length - 1, box()))).toEqual([[2, 0], [2, 1], [2, 2], [2, 3], [3, 2]]);
  });

  it('spans nulls, and draws only i0 to i1', () => {
    expect(cells(rasterizeLine([0, 1, 2, 3, 9], [9, 0, null, 0, 0], 1, 3, box()))).toEqual([[1, 4], [2, 4], [3, 4]]);
  });

  it('clips to the box: nothing outside it, the part inside drawn', () => {
    const pixels = rasterizeLine([-100, 100], [2, 2], 0, 1, box());
    expect(cells(pixels)).toEqual(Array.from({ length: 10 }, (_, x) => [x, 2]));
    expect(rasterizeLine([-5, -1], [2, 2], 0, 1, box())).toHaveLength(0);
  });

  it('maps a log scale by decades and leaves out values that are not positive', () => {
    const log = box({ y: { min: 1, max: 1e4, log: true } });
    expect(cells(rasterizeLine([0, 1, 2], [10, -1, 1000], 0, 2, log))).toEqual([[0, 3], [1, 2], [2, 1]]);
  });

  it('stamps a square per pixel for a thicker line', () => {
    expect(cells(rasterizeLine([0, 1], [4, 4], 0, 1, box({ thickness: 2 })))).toEqual([[0, 0], [0, 1], [1, 0], [1, 1], [2, 0], [2, 1]]);
  });
});

describe('composite', () => {
  it('writes the lines in order, the later on top, over a cleared buffer', () => {
    const out = new Uint32Array(4).fill(7);
    composite(out, [
      { pixels: Int32Array.of(0, 1), rgba: 1 },
      { pixels: Int32Array.of(1, 2), rgba: 2 },
    ]);
    expect([...out]).toEqual([1, 2, 2, 0]);
  });

  it('packs a colour as RGBA bytes in memory order', () => {
    const bytes = (c: number): number[] => [...new Uint8Array(Uint32Array.of(c).buffer)];
    expect(bytes(packColor('#2f6fde'))).toEqual([0x2f, 0x6f, 0xde, 255]);
    expect(bytes(packColor('rgba(10, 20, 30, 0.5)'))).toEqual([10, 20, 30, 128]);
  });
});
