import { hyperbandBands } from './hyperband.js';
import { SweepConfigError, type HyperbandConfig, type MetricConfig, type SweepConfig, type SweepConfigIssue } from './config-types.js';
import { isObject, parseParameters } from './parse-parameters.js';
import { parseSweepText } from './parse-text.js';
import { flatten } from './space.js';

const TOP_KEYS = ['method', 'parameters', 'program', 'command', 'metric', 'early_terminate', 'run_cap', 'name', 'description', 'project', 'entity'];
/** Keys W&B's schema has that say nothing to a sweep here, taken and ignored. */
const IGNORED_KEYS = ['apiVersion', 'kind'];
const METHODS = ['grid', 'random', 'bayes'];
const GRID_DISTRIBUTIONS = ['constant', 'categorical', 'int_uniform', 'q_uniform'];

/**
 * Parses a sweep config in W&B's format: YAML or JSON text, or an object. Throws a
 * SweepConfigError listing every problem (path and rule) at once; returns the config
 * with W&B's defaults filled (goal minimize, eta 3, strict hyperband, q 1, mu 0, sigma 1).
 */
export function parseSweepConfig(input: string | unknown): SweepConfig {
  const { value, floatPaths } = typeof input === 'string' ? parseSweepText(input) : { value: input, floatPaths: new Set<string>() };
  const issues: SweepConfigIssue[] = [];
  const ctx = { issues, floats: floatPaths };
  if (!isObject(value)) throw new SweepConfigError([{ path: '', rule: 'a sweep config is an object (a YAML mapping or a JSON object)' }]);

  for (const key of Object.keys(value)) {
    if (!TOP_KEYS.includes(key) && !IGNORED_KEYS.includes(key)) issues.push({ path: key, rule: `unknown key; a sweep config has ${TOP_KEYS.join(', ')}` });
  }
  const method = value.method;
  if (method === undefined) issues.push({ path: 'method', rule: `is required: one of ${METHODS.join(', ')}` });
  else if (typeof method !== 'string' || !METHODS.includes(method)) issues.push({ path: 'method', rule: `must be one of ${METHODS.join(', ')}` });

  const parameters = value.parameters === undefined
    ? (issues.push({ path: 'parameters', rule: 'is required' }), {})
    : parseParameters(value.parameters, 'parameters', ctx);
  const config: SweepConfig = { method: method as SweepConfig['method'], parameters };

  for (const key of ['program', 'name', 'description', 'project', 'entity'] as const) {
    const v = value[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v === '') issues.push({ path: key, rule: 'must be a non-empty string' });
    else config[key] = v;
  }
  if (value.command !== undefined) {
    const c = value.command;
    if (!Array.isArray(c) || c.length === 0 || c.some((x) => typeof x !== 'string' && typeof x !== 'number')) {
      issues.push({ path: 'command', rule: 'must be a non-empty list of strings' });
    } else config.command = c.map(String);
  }
  if (value.run_cap !== undefined) {
    const r = value.run_cap;
    if (typeof r !== 'number' || !Number.isInteger(r) || r <= 0) issues.push({ path: 'run_cap', rule: 'must be an integer > 0' });
    else config.run_cap = r;
  }
  if (value.metric !== undefined) {
    const m = parseMetric(value.metric, issues);
    if (m) config.metric = m;
  }
  if (value.early_terminate !== undefined) {
    const et = parseEarlyTerminate(value.early_terminate, issues, floatPaths);
    if (et) config.early_terminate = et;
    if (value.metric === undefined) issues.push({ path: 'metric', rule: 'early_terminate (hyperband) needs a metric to compare trials by' });
  }

  const leaves = flatten(parameters);
  if (method === 'bayes') {
    if (value.metric === undefined) issues.push({ path: 'metric', rule: 'bayes search needs a metric to optimize' });
    if (value.parameters !== undefined && leaves.length > 0 && leaves.every((p) => p.spec.distribution === 'constant')) {
      issues.push({ path: 'parameters', rule: 'bayes search needs at least one parameter that is not a constant' });
    }
  }
  if (method === 'grid') {
    for (const p of leaves) {
      if (!GRID_DISTRIBUTIONS.includes(p.spec.distribution)) {
        issues.push({
          path: `parameters.${p.path.join('.parameters.')}`,
          rule: `grid search takes only value, values (without probabilities), int_uniform or q_uniform, not ${p.spec.distribution}`,
        });
      }
    }
  }
  if (issues.length > 0) throw new SweepConfigError(issues);
  return config;
}

function parseMetric(raw: unknown, issues: SweepConfigIssue[]): MetricConfig | undefined {
  if (!isObject(raw)) {
    issues.push({ path: 'metric', rule: 'must be an object with name, goal, target' });
    return undefined;
  }
  const before = issues.length;
  const allowed = ['name', 'goal', 'target', 'impute', 'aggregate'];
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) issues.push({ path: `metric.${key}`, rule: `unknown key; metric has ${allowed.join(', ')}` });
  }
  const { name, goal = 'minimize', target, impute = 'worst', aggregate = 'rank0' } = raw;
  if (typeof name !== 'string' || name === '') issues.push({ path: 'metric.name', rule: 'is required: the logged key to optimize' });
  if (goal !== 'minimize' && goal !== 'maximize') issues.push({ path: 'metric.goal', rule: 'must be minimize or maximize' });
  if (target !== undefined && (typeof target !== 'number' || !Number.isFinite(target))) issues.push({ path: 'metric.target', rule: 'must be a finite number' });
  if (impute !== 'worst' && impute !== 'best' && impute !== 'latest') issues.push({ path: 'metric.impute', rule: 'must be worst, best or latest' });
  if (aggregate !== 'rank0' && aggregate !== 'mean') issues.push({ path: 'metric.aggregate', rule: 'must be rank0 or mean' });
  if (issues.length > before) return undefined;
  const metric = { name, goal, impute, aggregate } as MetricConfig;
  if (target !== undefined) metric.target = target as number;
  return metric;
}

function parseEarlyTerminate(raw: unknown, issues: SweepConfigIssue[], floats: Set<string>): HyperbandConfig | undefined {
  const at = (k: string) => `early_terminate.${k}`;
  if (!isObject(raw)) {
    issues.push({ path: 'early_terminate', rule: 'must be an object: { type: hyperband, min_iter | max_iter and s, eta }' });
    return undefined;
  }
  const before = issues.length;
  const allowed = ['type', 'min_iter', 'max_iter', 's', 'eta', 'strict'];
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) issues.push({ path: at(key), rule: `unknown key; early_terminate has ${allowed.join(', ')}` });
  }
  const { type, min_iter, max_iter, s, eta = 3, strict = true } = raw;
  if (type !== 'hyperband') issues.push({ path: at('type'), rule: 'must be hyperband' });
  const integer = (k: string, v: unknown, min: number) => {
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < min || floats.has(at(k)))) {
      issues.push({ path: at(k), rule: `must be an integer >= ${min}` });
    }
  };
  integer('min_iter', min_iter, 1);
  integer('max_iter', max_iter, 1);
  integer('s', s, 1);
  if (typeof eta !== 'number' || !(eta > 1)) issues.push({ path: at('eta'), rule: 'must be a number > 1' });
  if (typeof strict !== 'boolean') issues.push({ path: at('strict'), rule: 'must be true or false' });
  if (min_iter === undefined && (max_iter === undefined || s === undefined)) {
    issues.push({ path: 'early_terminate', rule: 'hyperband needs min_iter, or max_iter and s' });
  }
  if (issues.length > before) return undefined;
  const config: HyperbandConfig = { type: 'hyperband', eta: eta as number, strict: strict as boolean };
  if (min_iter !== undefined) config.min_iter = min_iter as number;
  if (max_iter !== undefined) config.max_iter = max_iter as number;
  if (s !== undefined) config.s = s as number;
  if (hyperbandBands(config).length === 0) {
    issues.push({ path: 'early_terminate', rule: 'gives no bands (max_iter / eta < 1): raise max_iter or lower eta' });
    return undefined;
  }
  return config;
}
