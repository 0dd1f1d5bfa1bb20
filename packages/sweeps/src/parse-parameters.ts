import type { Distribution, ParameterNode, ParameterSpec, SweepConfigIssue } from './config-types.js';
import { join } from './parse-text.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

const KEYS: Record<Distribution, readonly string[]> = {
  constant: ['value'],
  categorical: ['values'],
  categorical_w_probabilities: ['values', 'probabilities'],
  int_uniform: ['min', 'max'],
  uniform: ['min', 'max'],
  log_uniform_values: ['min', 'max'],
  inv_log_uniform_values: ['min', 'max'],
  q_uniform: ['min', 'max', 'q'],
  q_log_uniform_values: ['min', 'max', 'q'],
  normal: ['mu', 'sigma'],
  log_normal: ['mu', 'sigma'],
  q_normal: ['mu', 'sigma', 'q'],
  q_log_normal: ['mu', 'sigma', 'q'],
};

const REFUSED: Record<string, string> = {
  log_uniform: 'log_uniform takes base-e exponents as min/max and is deprecated in W&B; use log_uniform_values with the limit values',
  inv_log_uniform: 'inv_log_uniform takes base-e exponents as min/max and is deprecated in W&B; use inv_log_uniform_values with the limit values',
  q_log_uniform: 'q_log_uniform takes base-e exponents as min/max and is deprecated in W&B; use q_log_uniform_values with the limit values',
  beta: 'the beta distribution is not supported',
  q_beta: 'the q_beta distribution is not supported',
};

interface Ctx {
  issues: SweepConfigIssue[];
  floats: Set<string>;
}

/** Validates a `parameters` object (W&B's schema: at least one, names like identifiers), filling W&B's defaults. */
export function parseParameters(raw: unknown, path: string, ctx: Ctx): Record<string, ParameterNode> {
  const out: Record<string, ParameterNode> = {};
  if (!isObject(raw)) {
    ctx.issues.push({ path, rule: 'must be an object of parameters' });
    return out;
  }
  if (Object.keys(raw).length === 0) ctx.issues.push({ path, rule: 'must name at least one parameter' });
  for (const [name, value] of Object.entries(raw)) {
    const at = join(path, name);
    if (!NAME.test(name)) {
      ctx.issues.push({ path: at, rule: 'a parameter name starts with a letter or _ and has only letters, digits, _ . -' });
      continue;
    }
    const node = parseParameter(value, at, ctx);
    if (node) out[name] = node;
  }
  return out;
}

function parseParameter(raw: unknown, path: string, ctx: Ctx): ParameterNode | undefined {
  if (!isObject(raw)) {
    ctx.issues.push({ path, rule: 'must be an object: { value }, { values }, { min, max }, { distribution, ... } or { parameters }' });
    return undefined;
  }
  if ('parameters' in raw) {
    for (const key of Object.keys(raw)) {
      if (key !== 'parameters') ctx.issues.push({ path: join(path, key), rule: 'a nested parameter has only "parameters"' });
    }
    return { parameters: parseParameters(raw.parameters, join(path, 'parameters'), ctx) };
  }
  const distribution = inferDistribution(raw, path, ctx);
  if (!distribution) return undefined;
  const before = ctx.issues.length;
  const allowed = KEYS[distribution];
  for (const key of Object.keys(raw)) {
    if (key === 'distribution') continue;
    if (!allowed.includes(key)) ctx.issues.push({ path: join(path, key), rule: `${distribution} takes only ${allowed.join(', ')}` });
  }
  const spec = build(distribution, raw, path, ctx);
  return ctx.issues.length === before ? spec : undefined;
}

function inferDistribution(raw: Record<string, unknown>, path: string, ctx: Ctx): Distribution | undefined {
  const d = raw.distribution;
  if (d !== undefined) {
    if (typeof d === 'string' && d in REFUSED) {
      ctx.issues.push({ path: join(path, 'distribution'), rule: REFUSED[d]! });
      return undefined;
    }
    if (typeof d !== 'string' || !(d in KEYS)) {
      ctx.issues.push({ path: join(path, 'distribution'), rule: `must be one of ${Object.keys(KEYS).join(', ')}` });
      return undefined;
    }
    // W&B writes categorical with probabilities as its own distribution; either spelling works.
    if (d === 'categorical' && 'probabilities' in raw) return 'categorical_w_probabilities';
    return d as Distribution;
  }
  if ('value' in raw) return 'constant';
  if ('values' in raw) return 'probabilities' in raw ? 'categorical_w_probabilities' : 'categorical';
  if ('min' in raw && 'max' in raw) {
    // W&B: integer bounds mean int_uniform, any float bound means uniform.
    const ints = [raw.min, raw.max].every((v) => Number.isInteger(v)) && !ctx.floats.has(join(path, 'min')) && !ctx.floats.has(join(path, 'max'));
    return ints ? 'int_uniform' : 'uniform';
  }
  ctx.issues.push({ path, rule: 'cannot tell the distribution: give value, values, min and max, distribution, or parameters' });
  return undefined;
}

function build(distribution: Distribution, raw: Record<string, unknown>, path: string, ctx: Ctx): ParameterSpec | undefined {
  const num = (key: string, fallback?: number): number => {
    const v = raw[key];
    if (v === undefined && fallback !== undefined) return fallback;
    if (v === undefined) ctx.issues.push({ path: join(path, key), rule: `${distribution} needs ${key}` });
    else if (typeof v !== 'number' || !Number.isFinite(v)) ctx.issues.push({ path: join(path, key), rule: 'must be a finite number' });
    return typeof v === 'number' ? v : NaN;
  };
  const bounds = (opts: { integer?: boolean; positive?: boolean }) => {
    const min = num('min');
    const max = num('max');
    if (opts.integer) {
      for (const [k, v] of [['min', min], ['max', max]] as const) {
        if (Number.isFinite(v) && !Number.isInteger(v)) ctx.issues.push({ path: join(path, k), rule: 'int_uniform takes integer bounds' });
      }
    }
    if (opts.positive && Number.isFinite(min) && min <= 0) ctx.issues.push({ path: join(path, 'min'), rule: `${distribution} needs min > 0` });
    if (Number.isFinite(min) && Number.isFinite(max) && min >= max) ctx.issues.push({ path: join(path, 'max'), rule: `must be greater than min (${min})` });
    return { min, max };
  };
  const q = () => {
    const v = num('q', 1);
    if (Number.isFinite(v) && v <= 0) ctx.issues.push({ path: join(path, 'q'), rule: 'must be > 0' });
    return v;
  };
  const normal = () => {
    const mu = num('mu', 0);
    const sigma = num('sigma', 1);
    if (Number.isFinite(sigma) && sigma <= 0) ctx.issues.push({ path: join(path, 'sigma'), rule: 'must be > 0' });
    return { mu, sigma };
  };
  switch (distribution) {
    case 'constant':
      return { distribution, value: raw.value };
    case 'categorical':
      return { distribution, values: values(raw, path, ctx) };
    case 'categorical_w_probabilities': {
      const vs = values(raw, path, ctx);
      return { distribution, values: vs, probabilities: probabilities(raw, vs.length, path, ctx) };
    }
    case 'int_uniform':
      return { distribution, ...bounds({ integer: true }) };
    case 'uniform':
      return { distribution, ...bounds({}) };
    case 'log_uniform_values':
    case 'inv_log_uniform_values':
      return { distribution, ...bounds({ positive: true }) };
    case 'q_uniform':
      return { distribution, ...bounds({}), q: q() };
    case 'q_log_uniform_values':
      return { distribution, ...bounds({ positive: true }), q: q() };
    case 'normal':
    case 'log_normal':
      return { distribution, ...normal() };
    case 'q_normal':
    case 'q_log_normal':
      return { distribution, ...normal(), q: q() };
  }
}

function values(raw: Record<string, unknown>, path: string, ctx: Ctx): unknown[] {
  const v = raw.values;
  if (!Array.isArray(v) || v.length === 0) {
    ctx.issues.push({ path: join(path, 'values'), rule: 'must be a non-empty list' });
    return [];
  }
  return v;
}

function probabilities(raw: Record<string, unknown>, count: number, path: string, ctx: Ctx): number[] {
  const at = join(path, 'probabilities');
  const p = raw.probabilities;
  if (!Array.isArray(p) || p.some((x) => typeof x !== 'number' || !Number.isFinite(x) || x < 0)) {
    ctx.issues.push({ path: at, rule: 'must be a list of numbers >= 0' });
    return [];
  }
  if (p.length !== count) ctx.issues.push({ path: at, rule: `must have one probability per value (${count})` });
  const sum = (p as number[]).reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-6) ctx.issues.push({ path: at, rule: `must sum to 1 (they sum to ${sum})` });
  return p as number[];
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
