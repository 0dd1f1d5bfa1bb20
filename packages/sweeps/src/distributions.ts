import type { ParamValue, ParameterSpec } from './config-types.js';
import { normalCdf, normalQuantile } from './prng.js';
import { stableKey } from './space.js';

const EDGE = 1e-9;

/**
 * The value at quantile u of a parameter's distribution (W&B's ppf), quantized for the q_
 * distributions: round(x / q) · q, an integer when q is one.
 */
export function quantile(spec: ParameterSpec, u: number): ParamValue {
  switch (spec.distribution) {
    case 'constant':
      return spec.value;
    case 'categorical':
      return spec.values[Math.min(spec.values.length - 1, Math.floor(u * spec.values.length))];
    case 'categorical_w_probabilities': {
      let sum = 0;
      for (let i = 0; i < spec.values.length; i++) {
        sum += spec.probabilities[i]!;
        if (u < sum) return spec.values[i];
      }
      return spec.values[spec.values.length - 1];
    }
    case 'int_uniform': {
      const n = spec.max - spec.min + 1;
      return spec.min + Math.min(n - 1, Math.floor(u * n));
    }
    case 'uniform':
      return spec.min + u * (spec.max - spec.min);
    case 'q_uniform':
      return quantize(spec.min + u * (spec.max - spec.min), spec.q);
    case 'log_uniform_values':
    case 'inv_log_uniform_values':
      // inv_log_uniform_values: log(1/X) uniform on [log(1/max), log(1/min)], the same law as log_uniform_values.
      return logUniform(spec.min, spec.max, u);
    case 'q_log_uniform_values':
      return quantize(logUniform(spec.min, spec.max, u), spec.q);
    case 'normal':
      return spec.mu + spec.sigma * normalQuantile(clamp(u));
    case 'q_normal':
      return quantize(spec.mu + spec.sigma * normalQuantile(clamp(u)), spec.q);
    case 'log_normal':
      return Math.exp(spec.mu + spec.sigma * normalQuantile(clamp(u)));
    case 'q_log_normal':
      return quantize(Math.exp(spec.mu + spec.sigma * normalQuantile(clamp(u))), spec.q);
  }
}

/** How many coordinates a parameter takes in the optimizer's unit cube: one-hot for categoricals, none for constants. */
export function unitDims(spec: ParameterSpec): number {
  if (spec.distribution === 'constant') return 0;
  if (spec.distribution === 'categorical' || spec.distribution === 'categorical_w_probabilities') return spec.values.length > 1 ? spec.values.length : 0;
  return 1;
}

/**
 * A value's coordinates in the unit cube: the distribution's CDF (so log-scaled and normal
 * parameters are uniform there), one-hot for categoricals. Null when the value cannot come
 * from this parameter (not one of its values, not a number, out of a log's domain).
 */
export function toUnit(spec: ParameterSpec, value: ParamValue): number[] | null {
  switch (spec.distribution) {
    case 'constant':
      return [];
    case 'categorical':
    case 'categorical_w_probabilities': {
      if (spec.values.length <= 1) return [];
      const key = stableKey(value);
      const index = spec.values.findIndex((v) => stableKey(v) === key);
      if (index < 0) return null;
      return spec.values.map((_, i) => (i === index ? 1 : 0));
    }
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  switch (spec.distribution) {
    case 'int_uniform':
      return [clamp01((value - spec.min + 0.5) / (spec.max - spec.min + 1))];
    case 'uniform':
    case 'q_uniform':
      return [clamp01((value - spec.min) / (spec.max - spec.min))];
    case 'log_uniform_values':
    case 'inv_log_uniform_values':
    case 'q_log_uniform_values':
      if (value <= 0) return null;
      return [clamp01((Math.log(value) - Math.log(spec.min)) / (Math.log(spec.max) - Math.log(spec.min)))];
    case 'normal':
    case 'q_normal':
      return [normalCdf((value - spec.mu) / spec.sigma)];
    case 'log_normal':
    case 'q_log_normal':
      if (value <= 0) return null;
      return [normalCdf((Math.log(value) - spec.mu) / spec.sigma)];
  }
}

/** The value at unit-cube coordinates (the inverse of toUnit; argmax for one-hot). */
export function fromUnit(spec: ParameterSpec, coords: ArrayLike<number>): ParamValue {
  if (spec.distribution === 'categorical' || spec.distribution === 'categorical_w_probabilities') {
    if (spec.values.length <= 1) return spec.values[0];
    let best = 0;
    for (let i = 1; i < coords.length; i++) if (coords[i]! > coords[best]!) best = i;
    return spec.values[best];
  }
  if (spec.distribution === 'constant') return spec.value;
  const u = clamp01(coords[0]!);
  if (spec.distribution === 'int_uniform') {
    const n = spec.max - spec.min + 1;
    return spec.min + Math.min(n - 1, Math.floor(u * n));
  }
  return quantile(spec, u);
}

/** round(x / q) · q: an integer when q is one, else trimmed of binary noise (0.30000000000000004 → 0.3). */
export function quantize(x: number, q: number): number {
  const v = Math.round(x / q) * q;
  // + 0 turns -0 (round(-0.3) · q) into 0.
  return (Number.isInteger(q) ? Math.round(v) : Number(v.toPrecision(12))) + 0;
}

function logUniform(min: number, max: number, u: number): number {
  return Math.exp(Math.log(min) + u * (Math.log(max) - Math.log(min)));
}

function clamp(u: number): number {
  return Math.min(1 - EDGE, Math.max(EDGE, u));
}

function clamp01(u: number): number {
  return Math.min(1, Math.max(0, u));
}
