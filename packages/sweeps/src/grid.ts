import type { ParamValue, ParameterSpec, SweepConfig } from './config-types.js';
import { quantize } from './distributions.js';
import { flatten, nest, stableKey, valueAt } from './space.js';
import type { Suggestion, Trial } from './trial.js';

/** A grid axis: its size and its i-th value, computed on demand so a wide int_uniform costs nothing. */
interface Axis {
  size: number;
  at(i: number): ParamValue;
}

/**
 * An axis per parameter as wandb/sweeps builds the grid: values as listed, int_uniform
 * min..max, q_uniform min, min+q, ... below max (numpy's arange, max excluded).
 */
function axis(spec: ParameterSpec): Axis {
  switch (spec.distribution) {
    case 'constant':
      return { size: 1, at: () => spec.value };
    case 'categorical':
      return { size: spec.values.length, at: (i) => spec.values[i] };
    case 'int_uniform':
      return { size: spec.max - spec.min + 1, at: (i) => spec.min + i };
    case 'q_uniform':
      return { size: Math.max(0, Math.ceil((spec.max - spec.min) / spec.q)), at: (i) => quantize(spec.min + i * spec.q, spec.q) };
    default:
      throw new Error(`grid search cannot enumerate ${spec.distribution}`); // parseSweepConfig refuses these
  }
}

/** The number of points in a grid sweep (Infinity past 2^53). */
export function gridSize(config: SweepConfig): number {
  return flatten(config.parameters).reduce((n, p) => n * axis(p.spec).size, 1);
}

/**
 * The first grid point no trial has taken yet, in W&B's order (parameters sorted by name,
 * the last one varying fastest); null when every point has a trial, whatever its state.
 */
export function nextGridPoint(config: SweepConfig, trials: readonly Trial[]): Suggestion | null {
  const params = flatten(config.parameters);
  const axes = params.map((p) => axis(p.spec));
  const total = axes.reduce((n, a) => n * a.size, 1);
  // As in wandb/sweeps, a trial takes a point by the values of the parameters that vary; constants do not count.
  const varying = params.flatMap((p, i) => (p.spec.distribution === 'constant' ? [] : [i]));
  const seen = new Set(trials.map((t) => pointKey(varying.map((i) => valueAt(t.params, params[i]!.path)))));
  // At most trials.length points are taken, so this scans at most trials.length + 1 indices.
  for (let index = 0; index < total; index++) {
    const values = decode(axes, index);
    if (!seen.has(pointKey(varying.map((i) => values[i])))) return { params: nest(params, values) };
  }
  return null;
}

function decode(axes: readonly Axis[], index: number): ParamValue[] {
  const values: ParamValue[] = new Array(axes.length);
  let rest = index;
  for (let i = axes.length - 1; i >= 0; i--) {
    const a = axes[i]!;
    values[i] = a.at(rest % a.size);
    rest = Math.floor(rest / a.size);
  }
  return values;
}

function pointKey(values: readonly ParamValue[]): string {
  return stableKey(values);
}
