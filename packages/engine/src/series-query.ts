import { CohortError, type SeriesData, type SeriesResult } from '@cohort/protocol';
import type { NumericSeries, Store } from '@cohort/store';

/**
 * Full-fidelity downsampling of numeric history for charts: the x-range is cut
 * into equal buckets and each bucket keeps the minimum, the maximum and the
 * last value of its points, so a spike of one step in a million still shows.
 * Random or evenly spaced sampling would drop it.
 */

/** The most buckets one series query may ask for. */
export const MAX_BUCKETS = 100_000;
/** Buckets when none are asked for. */
export const DEFAULT_BUCKETS = 1000;
/** The most keys one series query returns. */
export const MAX_SERIES_KEYS = 1000;

/** Options of {@link Engine.series}. */
export interface SeriesOptions {
  /**
   * Leaf paths (or subtrees) of the metrics; absent: every numeric key that
   * does not start with `_` (at most {@link MAX_SERIES_KEYS}).
   */
  keys?: readonly string[];
  /** Buckets over the x-range; a series with at most this many points comes back whole. @defaultValue 1000 */
  buckets?: number;
  /**
   * The x-axis: `_step`, `_runtime`, `_timestamp` (wall time) or any numeric
   * key (a step metric). Points of a metric at steps where the x key was not
   * logged are left out. @defaultValue `'_step'`
   */
  xAxis?: string;
  /** Inclusive. */
  minStep?: number;
  /** Inclusive. */
  maxStep?: number;
  /** Stops the read between keys once aborted (the HTTP client went away): DEADLINE_EXCEEDED. */
  signal?: AbortSignal;
}

/** One metric downsampled (per bucket the x of its last point, and min, max and last value) and what {@link Engine.series} returns: the HTTP API's shapes (@cohort/protocol, http/series.ts). */
export type { SeriesData, SeriesResult } from '@cohort/protocol';

/** Checks series options; INVALID_ARGUMENT naming the field. Returns the buckets and x-axis to use. */
export function checkSeriesOptions(o: SeriesOptions): { buckets: number; xAxis: string } {
  const buckets = o.buckets ?? DEFAULT_BUCKETS;
  if (!Number.isSafeInteger(buckets) || buckets < 1 || buckets > MAX_BUCKETS) {
    throw new CohortError('INVALID_ARGUMENT', `series.buckets: expected an integer from 1 to ${MAX_BUCKETS}, got ${String(buckets)}`);
  }
  const xAxis = o.xAxis ?? '_step';
  if (typeof xAxis !== 'string' || xAxis === '' || xAxis.length > 512) {
    throw new CohortError('INVALID_ARGUMENT', `series.xAxis: expected a key of 1 to 512 characters, got ${JSON.stringify(xAxis)}`);
  }
  for (const [field, v] of [['minStep', o.minStep], ['maxStep', o.maxStep]] as const) {
    if (v !== undefined && !Number.isFinite(v)) throw new CohortError('INVALID_ARGUMENT', `series.${field}: expected a finite number, got ${v}`);
  }
  if (o.minStep !== undefined && o.maxStep !== undefined && o.minStep > o.maxStep) {
    throw new CohortError('INVALID_ARGUMENT', `series.minStep: ${o.minStep} is above maxStep ${o.maxStep}`);
  }
  if (o.keys !== undefined && o.keys.length > MAX_SERIES_KEYS) {
    throw new CohortError('INVALID_ARGUMENT', `series.keys: expected at most ${MAX_SERIES_KEYS} keys, got ${o.keys.length}`);
  }
  return { buckets, xAxis };
}

/** Reads and downsamples numeric series of one run (see {@link Engine.series}). */
export async function readSeries(store: Store, pk: number, options: SeriesOptions = {}): Promise<SeriesResult> {
  const { buckets, xAxis } = checkSeriesOptions(options);
  // The store finds the keys (an index look-up each), so the cost follows the keys asked for, not the run's key count.
  const wanted =
    options.keys === undefined
      ? await store.listHistoryKeys(pk, { visibleOnly: true, limit: MAX_SERIES_KEYS })
      : (await store.listHistoryKeys(pk, { match: options.keys, limit: MAX_SERIES_KEYS + 1 })).filter((k) => k !== '_step').slice(0, MAX_SERIES_KEYS);
  const range = {
    ...(options.minStep !== undefined && { minStep: options.minStep }),
    ...(options.maxStep !== undefined && { maxStep: options.maxStep }),
  };
  const result: SeriesResult = { xAxis, buckets, series: {} };
  if (wanted.length === 0) return result;
  let xCol: NumericSeries | undefined;
  if (xAxis !== '_step') {
    // One read of the x column; then one key at a time, so memory stays at one column, not all of them.
    xCol = (await store.readHistory(pk, { ...range, keys: [xAxis] })).numeric.find((c) => c.key === xAxis);
    if (!xCol) return result;
  }
  let first = true;
  for (const key of wanted) {
    // SQLite reads are synchronous: let other requests in between keys rather than after all of them.
    if (!first) await new Promise<void>((resolve) => setImmediate(resolve));
    first = false;
    if (options.signal?.aborted === true) throw new CohortError('DEADLINE_EXCEEDED', `series: the caller went away after ${Object.keys(result.series).length} of ${wanted.length} keys; the read stopped`);
    const col = key === xAxis ? xCol : (await store.readHistory(pk, { ...range, keys: [key] })).numeric[0];
    if (!col) continue;
    result.series[key] = downsample(xCol ? xValues(col.steps, xCol) : col.steps, col.values, buckets);
  }
  return result;
}

/**
 * The x of each point at `steps` (ascending) from `xCol`, the x column: NaN
 * where the x key was not logged at that step (bucketing skips those points).
 */
export function xValues(steps: Float64Array, xCol: NumericSeries): Float64Array {
  const x = new Float64Array(steps.length);
  const xs = xCol.steps;
  let j = 0;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    while (j < xs.length && xs[j]! < s) j++;
    x[i] = j < xs.length && xs[j] === s ? xCol.values[j]! : NaN;
  }
  return x;
}

/**
 * Which points each bucket keeps: per non-empty bucket, in bucket order, the
 * index (into `x` and `y`) of its minimum, its maximum and its last point.
 */
export interface BucketExtremes {
  min: number[];
  max: number[];
  last: number[];
  /** Points with a finite x (and a finite y, when `y` is given). */
  points: number;
  /** True when points were merged into buckets. */
  downsampled: boolean;
}

/**
 * The one bucketing of `/series` and `/history`: cuts the range of the
 * finite `x` into `buckets` equal slices and keeps, per slice, the points of
 * the minimum, the maximum and the last finite `y` (ties: the first), so a
 * spike of one step in a million survives. With at most `wholeUpTo` points
 * (default `buckets`) every point is kept, each as its own bucket. Without
 * `y` (values that are not numbers) every point with a finite x counts and
 * min, max and last are the bucket's last point. Points with a non-finite x
 * or y are skipped. Two passes, no allocation per point.
 *
 * @example
 * bucketExtremes(Float64Array.of(0, 1, 2, 3), Float64Array.of(1, 9, 2, 3), 2);
 * // { min: [0, 2], max: [1, 3], last: [1, 3], points: 4, downsampled: true }
 */
export function bucketExtremes(x: ArrayLike<number>, y: ArrayLike<number> | undefined, buckets: number, wholeUpTo = buckets): BucketExtremes {
  const n = y ? Math.min(x.length, y.length) : x.length;
  let points = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const xi = x[i]!;
    if (xi - xi !== 0) continue; // NaN or ±Infinity
    // The range spans every x, so buckets line up with the steps whatever the values.
    if (xi < lo) lo = xi;
    if (xi > hi) hi = xi;
    if (!y || y[i]! - y[i]! === 0) points++;
  }
  const usable = (i: number): boolean => x[i]! - x[i]! === 0 && (!y || y[i]! - y[i]! === 0);
  if (points <= wholeUpTo) {
    const all: number[] = [];
    for (let i = 0; i < n; i++) if (usable(i)) all.push(i);
    return { min: all, max: [...all], last: [...all], points, downsampled: false };
  }
  const bmin = new Int32Array(buckets).fill(-1);
  const bmax = new Int32Array(buckets).fill(-1);
  const blast = new Int32Array(buckets).fill(-1);
  const scale = hi > lo ? buckets / (hi - lo) : 0;
  for (let i = 0; i < n; i++) {
    if (!usable(i)) continue;
    let b = Math.floor((x[i]! - lo) * scale);
    if (b >= buckets) b = buckets - 1;
    if (blast[b] === -1) {
      bmin[b] = i;
      bmax[b] = i;
    } else if (y) {
      const yi = y[i]!;
      if (yi < y[bmin[b]!]!) bmin[b] = i;
      if (yi > y[bmax[b]!]!) bmax[b] = i;
    }
    blast[b] = i;
  }
  const out: BucketExtremes = { min: [], max: [], last: [], points, downsampled: true };
  for (let b = 0; b < buckets; b++) {
    if (blast[b] === -1) continue;
    out.min.push(y ? bmin[b]! : blast[b]!);
    out.max.push(y ? bmax[b]! : blast[b]!);
    out.last.push(blast[b]!);
  }
  return out;
}

/**
 * Buckets points `(x[i], y[i])` with {@link bucketExtremes} and returns per
 * bucket the minimum, maximum and last y, drawn at the x of the last point.
 * With at most `buckets` finite points, every point comes back as its own
 * bucket (min = max = last).
 *
 * @example
 * downsample(new Float64Array([0, 1, 2, 3]), new Float64Array([1, 9, 2, 3]), 2);
 * // { x: [1, 3], min: [1, 2], max: [9, 3], last: [9, 3], points: 4, downsampled: true }
 */
export function downsample(x: ArrayLike<number>, y: ArrayLike<number>, buckets: number): SeriesData {
  const b = bucketExtremes(x, y, buckets);
  return {
    x: b.last.map((i) => x[i]!),
    min: b.min.map((i) => y[i]!),
    max: b.max.map((i) => y[i]!),
    last: b.last.map((i) => y[i]!),
    points: b.points,
    downsampled: b.downsampled,
  };
}
