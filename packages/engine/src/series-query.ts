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
  const readKeys = xAxis === '_step' || wanted.includes(xAxis) ? wanted : [...wanted, xAxis];
  const cols = await store.readHistory(pk, { ...range, keys: readKeys });
  let xCol: NumericSeries | undefined;
  if (xAxis !== '_step') {
    xCol = cols.numeric.find((c) => c.key === xAxis);
    if (!xCol) return result;
  }
  const byKey = new Map(cols.numeric.map((c) => [c.key, c]));
  for (const key of wanted) {
    const col = byKey.get(key);
    if (!col) continue;
    const xs = xCol ? joinX(col, xCol) : { x: col.steps, y: col.values };
    result.series[key] = downsample(xs.x, xs.y, buckets);
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
    if (xi - xi !== 0 || yi - yi !== 0) continue; // NaN or ±Infinity
    points++;
    if (xi < lo) lo = xi;
    if (xi > hi) hi = xi;
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
