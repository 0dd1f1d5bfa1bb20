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
  const gain = new Float64Array(columns.length);
  const rng = mulberry32(0x5eed);
  for (let t = 0; t < TREES; t++) {
    const sample = Array.from({ length: rows.length }, () => Math.floor(rng() * rows.length));
    grow(columns, y, sample, 0, gain, rng);
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

/** Grows one regression tree on the rows `idx`, adding each split's decrease in squared error to gain. */
function grow(columns: { values: number[] }[], y: number[], idx: number[], depth: number, gain: Float64Array, rng: Rng): void {
  if (depth >= MAX_DEPTH || idx.length < 2 * MIN_LEAF) return;
  const tries = Math.max(1, Math.ceil(columns.length / 3));
  const order = columns.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  let sum = 0;
  let sq = 0;
  for (const i of idx) {
    sum += y[i]!;
    sq += y[i]! * y[i]!;
  }
  const sse = sq - (sum * sum) / idx.length;
  let best = { gain: 1e-12 * Math.max(1, sse), column: -1, threshold: 0 };
  for (const c of order.slice(0, tries)) {
    const xs = columns[c]!.values;
    const sorted = [...idx].sort((a, b) => xs[a]! - xs[b]!);
    let ls = 0;
    let lq = 0;
    for (let k = 0; k < sorted.length - 1; k++) {
      const v = y[sorted[k]!]!;
      ls += v;
      lq += v * v;
      const left = k + 1;
      const right = sorted.length - left;
      if (left < MIN_LEAF || right < MIN_LEAF || xs[sorted[k]!] === xs[sorted[k + 1]!]) continue;
      const rs = sum - ls;
      const rq = sq - lq;
      const g = sse - (lq - (ls * ls) / left) - (rq - (rs * rs) / right);
      if (g > best.gain) best = { gain: g, column: c, threshold: (xs[sorted[k]!]! + xs[sorted[k + 1]!]!) / 2 };
    }
  }
  if (best.column < 0) return;
  gain[best.column]! += best.gain;
  const xs = columns[best.column]!.values;
  grow(columns, y, idx.filter((i) => xs[i]! <= best.threshold), depth + 1, gain, rng);
  grow(columns, y, idx.filter((i) => xs[i]! > best.threshold), depth + 1, gain, rng);
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
