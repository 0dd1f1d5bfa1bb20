import { CohortError } from '@cohort/protocol';
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
}

/**
 * One metric, downsampled: bucket `i` holds `min[i]`, `max[i]` and `last[i]`
 * of its points, drawn at `x[i]` (the x of its last point). Buckets without a
 * finite value are left out, so the arrays may be shorter than the bucket count.
 */
export interface SeriesData {
  x: number[];
  min: number[];
  max: number[];
  last: number[];
  /** Points in the range (finite values), before bucketing. */
  points: number;
  /** True when points were merged into buckets (more points than buckets). */
  downsampled: boolean;
}

/** What {@link Engine.series} returns. */
export interface SeriesResult {
  xAxis: string;
  buckets: number;
  /** By key, in first-logged order. */
  series: Record<string, SeriesData>;
}

function checkOptions(o: SeriesOptions): { buckets: number; xAxis: string } {
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
  const { buckets, xAxis } = checkOptions(options);
  const stored = await store.listHistoryKeys(pk);
  const wanted =
    options.keys === undefined
      ? stored.filter((k) => !k.startsWith('_')).slice(0, MAX_SERIES_KEYS)
      : stored.filter((k) => k !== '_step' && options.keys!.some((r) => k === r || k.startsWith(`${r}.`)));
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
    const col = key === xAxis ? xCol : (await store.readHistory(pk, { ...range, keys: [key] })).numeric[0];
    if (!col) continue;
    if (xCol) {
      const xy = joinX(col, xCol);
      result.series[key] = downsample(xy.x, xy.y, buckets);
    } else result.series[key] = downsampleSorted(col.steps, col.values, buckets);
  }
  return result;
}

/** The x of each point of `col` from `xCol` (same step), dropping points without one. */
function joinX(col: NumericSeries, xCol: NumericSeries): { x: Float64Array; y: Float64Array } {
  if (col === xCol) return { x: col.values, y: col.values };
  const n = col.steps.length;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const xs = xCol.steps;
  let j = 0;
  let out = 0;
  for (let i = 0; i < n; i++) {
    const s = col.steps[i]!;
    while (j < xs.length && xs[j]! < s) j++;
    if (j < xs.length && xs[j] === s) {
      x[out] = xCol.values[j]!;
      y[out] = col.values[i]!;
      out++;
    }
  }
  return { x: x.subarray(0, out), y: y.subarray(0, out) };
}

/**
 * Buckets points `(x[i], y[i])` (in step order) into at most `buckets` equal
 * slices of the x-range, keeping per bucket the minimum, maximum and last
 * finite y. With at most `buckets` finite points, every point comes back as
 * its own bucket (min = max = last). Non-finite x or y are skipped. One pass,
 * no allocation per point.
 *
 * @example
 * downsample(new Float64Array([0, 1, 2, 3]), new Float64Array([1, 9, 2, 3]), 2);
 * // { x: [1, 3], min: [1, 2], max: [9, 3], last: [9, 3], points: 4, downsampled: true }
 */
export function downsample(x: ArrayLike<number>, y: ArrayLike<number>, buckets: number): SeriesData {
  const n = Math.min(x.length, y.length);
  let points = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const xi = x[i]!;
    const yi = y[i]!;
    if (xi - xi !== 0) continue; // NaN or ±Infinity
    // The range spans every x, so buckets line up with the steps whatever the values.
    if (xi < lo) lo = xi;
    if (xi > hi) hi = xi;
    if (yi - yi === 0) points++;
  }
  if (points <= buckets) {
    const out: SeriesData = { x: new Array<number>(points), min: new Array<number>(points), max: new Array<number>(points), last: new Array<number>(points), points, downsampled: false };
    let k = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[i]!;
      const yi = y[i]!;
      if (xi - xi !== 0 || yi - yi !== 0) continue;
      out.x[k] = xi;
      out.min[k] = yi;
      out.max[k] = yi;
      out.last[k] = yi;
      k++;
    }
    return out;
  }
  const bx = new Float64Array(buckets);
  const bmin = new Float64Array(buckets).fill(Infinity);
  const bmax = new Float64Array(buckets).fill(-Infinity);
  const blast = new Float64Array(buckets);
  const seen = new Uint8Array(buckets);
  const scale = hi > lo ? buckets / (hi - lo) : 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i]!;
    const yi = y[i]!;
    if (xi - xi !== 0 || yi - yi !== 0) continue;
    let b = Math.floor((xi - lo) * scale);
    if (b >= buckets) b = buckets - 1;
    seen[b] = 1;
    if (yi < bmin[b]!) bmin[b] = yi;
    if (yi > bmax[b]!) bmax[b] = yi;
    blast[b] = yi;
    bx[b] = xi;
  }
  const out: SeriesData = { x: [], min: [], max: [], last: [], points, downsampled: true };
  for (let b = 0; b < buckets; b++) {
    if (seen[b] === 0) continue;
    out.x.push(bx[b]!);
    out.min.push(bmin[b]!);
    out.max.push(bmax[b]!);
    out.last.push(blast[b]!);
  }
  return out;
}

/**
 * {@link downsample} for x ascending and finite (stored steps): the range is
 * the first and last x, and each bucket is a run of consecutive points, so
 * the inner loop is a plain min/max over y. Same result as `downsample`.
 */
export function downsampleSorted(x: ArrayLike<number>, y: ArrayLike<number>, buckets: number): SeriesData {
  const n = Math.min(x.length, y.length);
  if (n <= buckets) return downsample(x, y, buckets);
  const lo = x[0]!;
  const hi = x[n - 1]!;
  const scale = hi > lo ? buckets / (hi - lo) : 0;
  const out: SeriesData = { x: [], min: [], max: [], last: [], points: 0, downsampled: true };
  let points = 0;
  let i = 0;
  for (let b = 0; b < buckets && i < n; b++) {
    // Points of bucket b: those whose floor((x - lo) * scale) is b (the last bucket takes the right edge).
    let end = i;
    if (b === buckets - 1 || scale === 0) end = n;
    else while (end < n && Math.floor((x[end]! - lo) * scale) <= b) end++;
    let mn = Infinity;
    let mx = -Infinity;
    let last = NaN;
    let lastX = NaN;
    for (let k = i; k < end; k++) {
      const v = y[k]!;
      if (v - v !== 0) continue;
      if (v < mn) mn = v;
      if (v > mx) mx = v;
      last = v;
      lastX = x[k]!;
      points++;
    }
    if (mn <= mx) {
      out.x.push(lastX);
      out.min.push(mn);
      out.max.push(mx);
      out.last.push(last);
    }
    i = end;
  }
  out.points = points;
  if (points <= buckets) return downsample(x, y, buckets);
  return out;
}
