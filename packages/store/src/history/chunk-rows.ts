import { concatFloats, decodeFloats, decodeSteps, lowerBound, upperBound } from '../sqlite/history-chunks.js';

/** A stored chunk as read back (`steps` empty or null when consecutive; `vals` absent when not selected). */
export interface ChunkRow {
  id: number;
  key_id: number;
  first_step: number;
  last_step: number;
  n: number;
  steps: Buffer | null;
  vals?: Buffer | null;
}

/** The steps and values of a chunk, decoded. */
export function decodeChunk(c: ChunkRow): { steps: Float64Array; values: Float64Array } {
  return { steps: decodeSteps(c.steps, c.first_step, c.n), values: decodeFloats(c.vals ?? Buffer.alloc(0)) };
}

/**
 * The cells of ascending, non-overlapping chunks of one key within
 * `[min, max]`, at most `limit` of them (values too when `withValues`);
 * `full` when the limit was reached.
 */
export function collectRange(
  chunks: Iterable<ChunkRow>,
  min: number,
  max: number,
  limit: number,
  withValues: boolean,
): { steps: Float64Array; values: Float64Array; full: boolean } {
  const stepParts: Float64Array[] = [];
  const valParts: Float64Array[] = [];
  let count = 0;
  for (const c of chunks) {
    if (count >= limit) break;
    const steps = decodeSteps(c.steps, c.first_step, c.n);
    const lo = c.first_step >= min ? 0 : lowerBound(steps, min);
    let hi = c.last_step <= max ? steps.length : upperBound(steps, max, lo);
    if (count + hi - lo > limit) hi = lo + (limit - count);
    if (hi <= lo) continue;
    stepParts.push(steps.subarray(lo, hi));
    if (withValues) valParts.push(decodeFloats(c.vals ?? Buffer.alloc(0)).subarray(lo, hi));
    count += hi - lo;
  }
  const full = count >= limit;
  if (stepParts.length === 0) return { steps: new Float64Array(0), values: new Float64Array(0), full };
  return { steps: concatFloats(stepParts), values: withValues ? concatFloats(valParts) : new Float64Array(0), full };
}

/** A chunk cut to its steps at or below `maxStep` (undefined when none are). */
export function trimChunk(c: ChunkRow, maxStep: number): { steps: Float64Array; values: Float64Array } | undefined {
  const { steps, values } = decodeChunk(c);
  const end = upperBound(steps, maxStep);
  if (end === 0) return undefined;
  return { steps: steps.subarray(0, end), values: values.subarray(0, end) };
}
