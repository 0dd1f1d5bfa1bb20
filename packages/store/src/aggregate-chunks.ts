import type { AggregateCell } from './group-types.js';

/**
 * Group aggregates are stored like history: per (group, key) in chunks of
 * {@link AGG_CHUNK_STEPS} consecutive step numbers, each one blob of five
 * Float64Arrays (steps, count, sum, min, max; steps ascending). A batch then
 * costs one read and one write per key and chunk, not one upsert per point:
 * the merge happens in memory.
 */
export const AGG_CHUNK_STEPS = 1000;

/** One chunk, decoded: five arrays of one length. */
export interface AggChunk {
  steps: Float64Array;
  count: Float64Array;
  sum: Float64Array;
  min: Float64Array;
  max: Float64Array;
}

/** The chunk a step belongs to. */
export function chunkOf(step: number): number {
  return Math.floor(step / AGG_CHUNK_STEPS);
}

/** The blob of a chunk (little-endian doubles). */
export function encodeAggChunk(c: AggChunk): Buffer {
  const n = c.steps.length;
  const all = new Float64Array(5 * n);
  all.set(c.steps, 0);
  all.set(c.count, n);
  all.set(c.sum, 2 * n);
  all.set(c.min, 3 * n);
  all.set(c.max, 4 * n);
  return Buffer.from(all.buffer, all.byteOffset, all.byteLength);
}

/** A chunk from its blob. Throws for a blob that is not five equal arrays of doubles. */
export function decodeAggChunk(blob: Uint8Array): AggChunk {
  if (blob.byteLength % 40 !== 0) throw new Error(`aggregate chunk: ${blob.byteLength} bytes is not a whole number of cells (40 bytes each)`);
  // Copy: the blob's offset need not be 8-byte aligned.
  const all = new Float64Array(blob.byteLength / 8);
  new Uint8Array(all.buffer).set(blob);
  const n = all.length / 5;
  return { steps: all.subarray(0, n), count: all.subarray(n, 2 * n), sum: all.subarray(2 * n, 3 * n), min: all.subarray(3 * n, 4 * n), max: all.subarray(4 * n, 5 * n) };
}

/** The ranges `[from, to)` of ascending `steps` that fall in one chunk each. */
export function chunkRanges(steps: ArrayLike<number>): Array<[chunk: number, from: number, to: number]> {
  const out: Array<[number, number, number]> = [];
  let from = 0;
  while (from < steps.length) {
    const chunk = chunkOf(steps[from]!);
    const end = (chunk + 1) * AGG_CHUNK_STEPS;
    let to = from + 1;
    while (to < steps.length && steps[to]! < end) to++;
    out.push([chunk, from, to]);
    from = to;
  }
  return out;
}

const EMPTY: AggChunk = { steps: new Float64Array(0), count: new Float64Array(0), sum: new Float64Array(0), min: new Float64Array(0), max: new Float64Array(0) };

/**
 * Merges one rank's values (`steps[from..to)` ascending, one value per step)
 * into a chunk: each finite value adds 1 to the count and itself to the sum,
 * and widens min and max. NaN and ±Infinity are not counted.
 */
export function mergeSeriesIntoChunk(existing: AggChunk | undefined, steps: ArrayLike<number>, values: ArrayLike<number>, from: number, to: number): AggChunk {
  const old = existing ?? EMPTY;
  const cap = old.steps.length + (to - from);
  const out: AggChunk = { steps: new Float64Array(cap), count: new Float64Array(cap), sum: new Float64Array(cap), min: new Float64Array(cap), max: new Float64Array(cap) };
  let i = 0;
  let j = from;
  let o = 0;
  const n = old.steps.length;
  while (i < n || j < to) {
    if (j < to && !Number.isFinite(values[j]!)) {
      j++;
      continue;
    }
    if (j >= to || (i < n && old.steps[i]! < steps[j]!)) {
      out.steps[o] = old.steps[i]!;
      out.count[o] = old.count[i]!;
      out.sum[o] = old.sum[i]!;
      out.min[o] = old.min[i]!;
      out.max[o++] = old.max[i++]!;
    } else {
      const v = values[j]!;
      out.steps[o] = steps[j]!;
      if (i < n && old.steps[i] === steps[j]) {
        out.count[o] = old.count[i]! + 1;
        out.sum[o] = old.sum[i]! + v;
        out.min[o] = Math.min(old.min[i]!, v);
        out.max[o] = Math.max(old.max[i]!, v);
        i++;
      } else {
        out.count[o] = 1;
        out.sum[o] = v;
        out.min[o] = v;
        out.max[o] = v;
      }
      o++;
      j++;
    }
  }
  return { steps: out.steps.subarray(0, o), count: out.count.subarray(0, o), sum: out.sum.subarray(0, o), min: out.min.subarray(0, o), max: out.max.subarray(0, o) };
}

/** The cells of a chunk at or below `maxStep` (`undefined` when none stays). */
export function trimAggChunk(c: AggChunk, maxStep: number): AggChunk | undefined {
  let n = 0;
  while (n < c.steps.length && c.steps[n]! <= maxStep) n++;
  if (n === 0) return undefined;
  return { steps: c.steps.subarray(0, n), count: c.count.subarray(0, n), sum: c.sum.subarray(0, n), min: c.min.subarray(0, n), max: c.max.subarray(0, n) };
}

/** The cells of a chunk within `[min, max]`, appended to `out` (at most `limit` in all). */
export function collectAggCells(key: string, c: AggChunk, min: number, max: number, out: AggregateCell[], limit: number): void {
  for (let i = 0; i < c.steps.length && out.length < limit; i++) {
    const step = c.steps[i]!;
    if (step < min || step > max) continue;
    out.push({ key, step, count: c.count[i]!, sum: c.sum[i]!, min: c.min[i]!, max: c.max[i]! });
  }
}
