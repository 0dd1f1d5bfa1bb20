import { endianness } from 'node:os';

/**
 * Packing of numeric history: a chunk is the steps and values of one key as
 * two little-endian Float64Array blobs. Writing and reading a chunk is a copy
 * of bytes, not a parse, which is what lets SQLite store tens of millions of
 * points per second (bench/ measures it beside raw SQLite).
 */

const LITTLE_ENDIAN = endianness() === 'LE';

/** A chunk holds at most this many points; bigger writes are split. */
export const CHUNK_MAX_POINTS = 4096;
/** A stored tail chunk smaller than this is merged with the next write of its key. */
export const CHUNK_MERGE_BELOW = 1024;

/** Float64Array to the bytes of a blob (little-endian), without a copy on LE machines. */
export function encodeFloats(values: Float64Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const out = Buffer.allocUnsafe(values.length * 8);
  for (let i = 0; i < values.length; i++) out.writeDoubleLE(values[i]!, i * 8);
  return out;
}

/** The bytes of a blob to a Float64Array (a view when aligned, else a copy). */
export function decodeFloats(bytes: Uint8Array): Float64Array {
  const n = bytes.byteLength >>> 3;
  if (LITTLE_ENDIAN) {
    if ((bytes.byteOffset & 7) === 0) return new Float64Array(bytes.buffer, bytes.byteOffset, n);
    return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + n * 8));
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

/** Index of the first element `>= x` in an ascending array. */
export function lowerBound(arr: ArrayLike<number>, x: number, from = 0): number {
  let lo = from;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element `> x` in an ascending array. */
export function upperBound(arr: ArrayLike<number>, x: number, from = 0): number {
  let lo = from;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Concatenates Float64Arrays (returns the only one when there is one). */
export function concatFloats(parts: readonly Float64Array[]): Float64Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Float64Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const EMPTY = Buffer.alloc(0);

/**
 * The steps blob of a chunk: empty when the steps are consecutive integers
 * (the common case: `first_step..last_step` says it all), which halves the
 * bytes a dense run writes.
 */
export function encodeSteps(steps: Float64Array): Buffer {
  const n = steps.length;
  if (n > 0 && steps[n - 1]! - steps[0]! === n - 1 && Number.isInteger(steps[0]!)) return EMPTY;
  return encodeFloats(steps);
}

/** The steps of a chunk from its blob (see {@link encodeSteps}). */
export function decodeSteps(bytes: Uint8Array | null, firstStep: number, n: number): Float64Array {
  if (bytes !== null && bytes.byteLength > 0) return decodeFloats(bytes);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = firstStep + i;
  return out;
}
