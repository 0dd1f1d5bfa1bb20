import type { ParamValue, SweepConfig } from './config-types.js';
import { mulberry32, type Rng } from './prng.js';
import { flatten, stableKey, valueAt } from './space.js';
import type { Trial } from './trial.js';

export interface ParamImportance {
  /** The parameter's dotted path; a categorical of non-numbers gets one entry per value, `name=value`. */
  param: string;
  /** Share of the variance of the metric the parameter explains in a random forest (all entries sum to 1). */
  importance: number;
  /** Pearson correlation of the parameter with the metric (for name=value, of being that value). */
  correlation: number;
}

const TREES = 50;
const MAX_DEPTH = 8;
const MIN_LEAF = 2;
const MAX_ROWS = 1000;
/** Split candidates per column: quantile bins past this many distinct values. */
const BINS = 32;

/**
 * Parameter importance as W&B's panel shows it: a random forest regressing the metric on the
 * parameters (impurity decrease, normalized), beside each parameter's linear correlation.
 * Uses finished and stopped trials with a metric (the latest MAX_ROWS); [] with fewer than 3.
 * Deterministic: the forest's generator has a fixed seed.
 */
export function paramImportance(config: SweepConfig, trials: readonly Trial[]): ParamImportance[] {
  const rows = trials.filter((t) => (t.state === 'finished' || t.state === 'stopped') && t.metric !== null && Number.isFinite(t.metric)).slice(-MAX_ROWS);
  if (rows.length < 3) return [];
  const y = rows.map((t) => t.metric!);
  const columns: { param: string; values: number[] }[] = [];
  for (const p of flatten(config.parameters)) {
    if (p.spec.distribution === 'constant') continue;
    const raw = rows.map((t) => valueAt(t.params, p.path));
    const numeric = raw.map(toNumber);
    if (numeric.every((v) => v !== null)) {
      columns.push({ param: p.name, values: numeric as number[] });
      continue;
    }
    const seen = [...new Map(raw.map((v) => [stableKey(v), v])).entries()];
    if (seen.length < 2) continue;
    for (const [key, v] of seen) columns.push({ param: `${p.name}=${typeof v === 'string' ? v : key}`, values: raw.map((r) => (stableKey(r) === key ? 1 : 0)) });
  }
  if (columns.length === 0) return [];
  const binned = columns.map((c) => bin(c.values));
  const gain = new Float64Array(columns.length);
  const rng = mulberry32(0x5eed);
  const widest = Math.max(...binned.map((b) => b.count));
  const scratch = { n: new Float64Array(widest), s: new Float64Array(widest), q: new Float64Array(widest) };
  const sample = new Int32Array(rows.length);
  for (let t = 0; t < TREES; t++) {
    for (let k = 0; k < sample.length; k++) sample[k] = Math.floor(rng() * rows.length);
    grow(binned, y, sample, 0, sample.length, 0, gain, rng, scratch);
  }
  const total = gain.reduce((a, b) => a + b, 0);
  return columns
    .map((c, i) => ({ param: c.param, importance: total > 0 ? gain[i]! / total : 0, correlation: pearson(c.values, y) }))
    .sort((a, b) => b.importance - a.importance || a.param.localeCompare(b.param));
}

function toNumber(v: ParamValue): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return null;
}

/** A column as bin numbers: one bin per distinct value, or BINS quantile bins when there are more. */
interface Binned {
  bins: Int32Array;
  count: number;
}

function bin(values: number[]): Binned {
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  let edges = distinct;
  if (distinct.length > BINS) {
    const sorted = [...values].sort((a, b) => a - b);
    edges = [...new Set(Array.from({ length: BINS }, (_, i) => sorted[Math.min(sorted.length - 1, Math.floor(((i + 1) * sorted.length) / BINS))]!))];
  }
  const bins = new Int32Array(values.length);
  values.forEach((v, i) => {
    let lo = 0;
    let hi = edges.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    bins[i] = lo;
  });
  return { bins, count: edges.length };
}

/** Histogram buffers shared by every node of a forest. */
interface Scratch {
  n: Float64Array;
  s: Float64Array;
  q: Float64Array;
}

/**
 * Grows one regression tree on rows idx[from, to) (histogram splits: a row goes left when
 * its bin is at most the split's; rows are partitioned in place), adding each split's
 * decrease in squared error to gain.
 */
function grow(columns: readonly Binned[], y: number[], idx: Int32Array, from: number, to: number, depth: number, gain: Float64Array, rng: Rng, scratch: Scratch): void {
  const size = to - from;
  if (depth >= MAX_DEPTH || size < 2 * MIN_LEAF) return;
  const tries = Math.max(1, Math.ceil(columns.length / 3));
  const order = columns.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  let sum = 0;
  let sq = 0;
  for (let k = from; k < to; k++) {
    const v = y[idx[k]!]!;
    sum += v;
    sq += v * v;
  }
  const sse = sq - (sum * sum) / size;
  let best = { gain: 1e-12 * Math.max(1, sse), column: -1, bin: 0 };
  const { n, s, q } = scratch;
  for (const c of order.slice(0, tries)) {
    const { bins, count } = columns[c]!;
    n.fill(0, 0, count);
    s.fill(0, 0, count);
    q.fill(0, 0, count);
    for (let k = from; k < to; k++) {
      const i = idx[k]!;
      const b = bins[i]!;
      const v = y[i]!;
      n[b]! += 1;
      s[b]! += v;
      q[b]! += v * v;
    }
    let ln = 0;
    let ls = 0;
    let lq = 0;
    for (let b = 0; b < count - 1; b++) {
      ln += n[b]!;
      ls += s[b]!;
      lq += q[b]!;
      const rn = size - ln;
      if (n[b] === 0 || ln < MIN_LEAF || rn < MIN_LEAF) continue;
      const rs = sum - ls;
      const rq = sq - lq;
      const g = sse - (lq - (ls * ls) / ln) - (rq - (rs * rs) / rn);
      if (g > best.gain) best = { gain: g, column: c, bin: b };
    }
  }
  if (best.column < 0) return;
  gain[best.column]! += best.gain;
  const bins = columns[best.column]!.bins;
  let mid = from;
  for (let k = from; k < to; k++) {
    const i = idx[k]!;
    if (bins[i]! <= best.bin) {
      idx[k] = idx[mid]!;
      idx[mid++] = i;
    }
  }
  grow(columns, y, idx, from, mid, depth + 1, gain, rng, scratch);
  grow(columns, y, idx, mid, to, depth + 1, gain, rng, scratch);
}

function pearson(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}
