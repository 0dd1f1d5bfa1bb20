import type { ParamValue, SweepConfig } from './config-types.js';
import { fromUnit, toUnit, unitDims } from './distributions.js';
import { fitGaussianProcess, type GaussianProcess } from './gp.js';
import { normalCdf, normalPdf, type Rng } from './prng.js';
import { flatten, nest, stableKey, valueAt, type FlatParam } from './space.js';
import { historyValues, type Suggestion, type Trial } from './trial.js';

/** The GP trains on at most this many observed trials: the best half and the most recent half. */
const MAX_OBSERVED = 100;
/** Trials still pending or running enter as fantasies (the GP's own prediction), at most this many, most recent first. */
const MAX_FANTASIES = 50;
const RANDOM_CANDIDATES = 200;
const NEIGHBOURS = 6;
const LOCAL_STARTS = 3;
const LOCAL_STEPS = 15;
const CONTINUOUS = new Set(['uniform', 'log_uniform_values', 'inv_log_uniform_values', 'normal', 'log_normal']);
/** EI's exploration margin, in standardized units of the metric. */
const XI = 0.01;

interface Space {
  params: FlatParam[];
  /** Each parameter's slice of the unit cube. */
  offsets: number[];
  dims: number;
}

function space(config: SweepConfig): Space {
  const params = flatten(config.parameters);
  const offsets: number[] = [];
  let dims = 0;
  for (const p of params) {
    offsets.push(dims);
    dims += unitDims(p.spec);
  }
  return { params, offsets, dims };
}

function encode(s: Space, params: Record<string, ParamValue>): Float64Array | null {
  const x = new Float64Array(s.dims);
  for (let i = 0; i < s.params.length; i++) {
    const p = s.params[i]!;
    const coords = toUnit(p.spec, valueAt(params, p.path));
    if (coords === null) return null;
    x.set(coords, s.offsets[i]);
  }
  return x;
}

function decode(s: Space, x: Float64Array): ParamValue[] {
  return s.params.map((p, i) => fromUnit(p.spec, x.subarray(s.offsets[i], s.offsets[i]! + unitDims(p.spec))));
}

/** A uniform point of the cube with every categorical one-hot. */
function randomPoint(s: Space, rng: Rng): Float64Array {
  const x = new Float64Array(s.dims);
  s.params.forEach((p, i) => {
    const n = unitDims(p.spec);
    if (n === 0) return;
    if (p.spec.distribution === 'categorical' || p.spec.distribution === 'categorical_w_probabilities') x[s.offsets[i]! + Math.floor(rng() * n)] = 1;
    else x[s.offsets[i]!] = rng();
  });
  return x;
}

/** The point a trial would actually run: decoded (rounded, quantized, argmax) and encoded again. */
function snap(s: Space, x: Float64Array): Float64Array {
  const y = new Float64Array(s.dims);
  s.params.forEach((p, i) => {
    const n = unitDims(p.spec);
    if (n === 0) return;
    const o = s.offsets[i]!;
    const coords = x.subarray(o, o + n);
    // A value outside the CDF's domain (q_log_normal rounded to 0) keeps its raw coordinates.
    y.set(toUnit(p.spec, fromUnit(p.spec, coords)) ?? coords, o);
  });
  return y;
}

/** A step from x: Gaussian on numeric coordinates, sometimes another category. */
function perturb(s: Space, x: Float64Array, scale: number, rng: Rng): Float64Array {
  const y = Float64Array.from(x);
  s.params.forEach((p, i) => {
    const n = unitDims(p.spec);
    const o = s.offsets[i]!;
    if (n === 0) return;
    if (p.spec.distribution === 'categorical' || p.spec.distribution === 'categorical_w_probabilities') {
      if (rng() < 0.2) {
        y.fill(0, o, o + n);
        y[o + Math.floor(rng() * n)] = 1;
      }
      return;
    }
    y[o] = Math.min(1, Math.max(0, y[o]! + scale * gaussian(rng)));
  });
  return y;
}

function gaussian(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/**
 * The value of a trial for the GP, in "lower is better" units; null when it has none to give.
 * Finished and stopped trials give their metric (or the best of their history); failed,
 * crashed and killed ones the config's impute: the worst observed value (W&B's default),
 * their best, or their latest.
 */
function observe(config: SweepConfig, trials: readonly Trial[]): { trial: Trial; y: number }[] {
  const metric = config.metric!;
  const sign = metric.goal === 'maximize' ? -1 : 1;
  const own = (t: Trial): number | null => {
    if (t.metric !== null && Number.isFinite(t.metric)) return sign * t.metric;
    const h = historyValues(t).map((v) => sign * v);
    return h.length > 0 ? Math.min(...h.slice(-10_000)) : null;
  };
  const out: { trial: Trial; y: number }[] = [];
  for (const t of trials) {
    if (t.state !== 'finished' && t.state !== 'stopped') continue;
    const y = own(t);
    if (y !== null) out.push({ trial: t, y });
  }
  const worst = out.reduce((w, o) => Math.max(w, o.y), -Infinity);
  for (const t of trials) {
    if (t.state !== 'failed' && t.state !== 'crashed' && t.state !== 'killed') continue;
    let y: number | null;
    if (metric.impute === 'best') y = own(t);
    else if (metric.impute === 'latest') {
      const h = historyValues(t);
      y = h.length > 0 ? sign * h[h.length - 1]! : null;
    } else y = Number.isFinite(worst) ? worst : null;
    if (y !== null) out.push({ trial: t, y });
  }
  return out;
}

/** Best half by value, then most recent, up to MAX_OBSERVED. */
function cap(observed: { trial: Trial; y: number }[], order: Map<Trial, number>) {
  if (observed.length <= MAX_OBSERVED) return observed;
  const byValue = [...observed].sort((a, b) => a.y - b.y).slice(0, MAX_OBSERVED / 2);
  const kept = new Set(byValue);
  const recent = [...observed].sort((a, b) => order.get(b.trial)! - order.get(a.trial)!);
  for (const o of recent) {
    if (kept.size >= MAX_OBSERVED) break;
    kept.add(o);
  }
  return [...kept];
}

/** How many observed trials before the GP takes over from random sampling. */
function initialDesign(dims: number): number {
  return Math.min(10, Math.max(3, dims + 1));
}

/**
 * Bayesian optimization: a GP fitted to the observed trials (pending and running ones as
 * fantasies, so concurrent agents get different points), expected improvement maximized
 * over random candidates, a neighbourhood of the best trials, and hill climbing from the
 * best candidates. Random sampling until initialDesign(dims) trials have a value.
 */
export function bayesSuggest(config: SweepConfig, trials: readonly Trial[], rng: Rng): Suggestion {
  const s = space(config);
  const order = new Map(trials.map((t, i) => [t, i]));
  const encoded = (t: Trial) => encode(s, t.params);
  const observed = cap(observe(config, trials), order)
    .map((o) => ({ ...o, x: encoded(o.trial) }))
    .filter((o): o is { trial: Trial; y: number; x: Float64Array } => o.x !== null);
  const discrete = !s.params.some((p) => CONTINUOUS.has(p.spec.distribution));
  const taken = discrete ? new Set(trials.map((t) => stableKey(t.params))) : new Set<string>();
  if (observed.length < initialDesign(s.dims)) {
    // Random points to start; in a discrete space, one no trial has run when a few draws find it.
    let params = nest(s.params, decode(s, randomPoint(s, rng)));
    for (let i = 0; i < 50 && taken.has(stableKey(params)); i++) params = nest(s.params, decode(s, randomPoint(s, rng)));
    return { params };
  }

  const ys = observed.map((o) => o.y);
  const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
  const std = Math.sqrt(ys.reduce((a, b) => a + (b - mean) ** 2, 0) / ys.length) || 1;
  const z = ys.map((y) => (y - mean) / std);
  let gp: GaussianProcess = fitGaussianProcess(observed.map((o) => o.x), z, rng);

  const busy = trials
    .filter((t) => t.state === 'pending' || t.state === 'running')
    .slice(-MAX_FANTASIES)
    .map(encoded)
    .filter((x): x is Float64Array => x !== null);
  if (busy.length > 0) gp = gp.condition(busy, busy.map((x) => gp.predict(x).mean));

  const best = Math.min(...z);
  const ei = (x: Float64Array) => {
    const { mean: m, std: sd } = gp.predict(x);
    const gain = best - m - XI;
    const u = gain / sd;
    return gain * normalCdf(u) + sd * normalPdf(u);
  };

  const scored: { x: Float64Array; ei: number }[] = [];
  const add = (x: Float64Array) => {
    const snapped = snap(s, x);
    scored.push({ x: snapped, ei: ei(snapped) });
  };
  for (let i = 0; i < RANDOM_CANDIDATES; i++) add(randomPoint(s, rng));
  const leaders = [...observed].sort((a, b) => a.y - b.y).slice(0, LOCAL_STARTS);
  for (const o of leaders) for (let i = 0; i < NEIGHBOURS; i++) add(perturb(s, o.x, 0.05, rng));

  // Local refinement: hill climbing from the best candidates with shrinking steps.
  const starts = [...scored].sort((a, b) => b.ei - a.ei).slice(0, LOCAL_STARTS);
  for (const start of starts) {
    let at = start;
    for (let step = 0; step < LOCAL_STEPS; step++) {
      const scale = 0.1 * Math.pow(0.1, step / LOCAL_STEPS);
      const x = snap(s, perturb(s, at.x, scale, rng));
      const value = ei(x);
      scored.push({ x, ei: value });
      if (value > at.ei) at = { x, ei: value };
    }
  }

  scored.sort((a, b) => b.ei - a.ei);
  // In a space of discrete parameters only, the best point no trial has run yet (continuous ones never repeat).
  if (!discrete) return { params: nest(s.params, decode(s, scored[0]!.x)) };
  for (const c of scored) {
    const params = nest(s.params, decode(s, c.x));
    if (!taken.has(stableKey(params))) return { params };
  }
  return { params: nest(s.params, decode(s, scored[0]!.x)) };
}
