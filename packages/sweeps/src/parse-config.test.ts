import { describe, expect, it } from 'vitest';
import { SweepConfigError, parseSweepConfig } from './index.js';

function issues(input: unknown): { path: string; rule: string }[] {
  try {
    parseSweepConfig(input);
  } catch (e) {
    expect(e).toBeInstanceOf(SweepConfigError);
    return (e as SweepConfigError).issues;
  }
  throw new Error('expected a SweepConfigError');
}

describe('parseSweepConfig', () => {
  it('reads YAML with every distribution and fills W&B defaults', () => {
    const config = parseSweepConfig(`
program: train.py
method: random
metric: { name: val/loss }
run_cap: 20
parameters:
  epochs: { value: 10 }
  optimizer: { values: [adam, sgd] }
  act: { values: [relu, gelu], probabilities: [0.25, 0.75] }
  act2: { distribution: categorical, values: [a, b] }
  layers: { min: 1, max: 4 }
  dropout: { min: 0.0, max: 1.0 }
  wd: { min: 0, max: 0.5 }
  width: { distribution: q_uniform, min: 32, max: 256, q: 32 }
  lr: { distribution: log_uniform_values, min: 0.0001, max: 0.1 }
  batch: { distribution: q_log_uniform_values, min: 16, max: 512, q: 16 }
  temp: { distribution: inv_log_uniform_values, min: 0.01, max: 1 }
  noise: { distribution: normal }
  shift: { distribution: q_normal, mu: 10, sigma: 3, q: 2 }
  scale: { distribution: log_normal, mu: 1, sigma: 0.5 }
  steps: { distribution: q_log_normal, mu: 5, sigma: 1 }
  model:
    parameters:
      depth: { values: [2, 4] }
      head: { parameters: { kind: { value: mlp } } }
`);
    expect(config.method).toBe('random');
    expect(config.program).toBe('train.py');
    expect(config.run_cap).toBe(20);
    expect(config.metric).toEqual({ name: 'val/loss', goal: 'minimize', impute: 'worst', aggregate: 'rank0' });
    const p = config.parameters as Record<string, unknown>;
    expect(p.epochs).toEqual({ distribution: 'constant', value: 10 });
    expect(p.optimizer).toEqual({ distribution: 'categorical', values: ['adam', 'sgd'] });
    expect(p.act).toEqual({ distribution: 'categorical_w_probabilities', values: ['relu', 'gelu'], probabilities: [0.25, 0.75] });
    expect(p.act2).toEqual({ distribution: 'categorical', values: ['a', 'b'] });
    expect(p.layers).toEqual({ distribution: 'int_uniform', min: 1, max: 4 });
    // 0.0 and 1.0 are written as floats: uniform, as in W&B, even though JSON has one number type.
    expect(p.dropout).toEqual({ distribution: 'uniform', min: 0, max: 1 });
    expect(p.wd).toEqual({ distribution: 'uniform', min: 0, max: 0.5 });
    expect(p.width).toEqual({ distribution: 'q_uniform', min: 32, max: 256, q: 32 });
    expect(p.lr).toEqual({ distribution: 'log_uniform_values', min: 0.0001, max: 0.1 });
    expect(p.batch).toEqual({ distribution: 'q_log_uniform_values', min: 16, max: 512, q: 16 });
    expect(p.temp).toEqual({ distribution: 'inv_log_uniform_values', min: 0.01, max: 1 });
    expect(p.noise).toEqual({ distribution: 'normal', mu: 0, sigma: 1 });
    expect(p.shift).toEqual({ distribution: 'q_normal', mu: 10, sigma: 3, q: 2 });
    expect(p.scale).toEqual({ distribution: 'log_normal', mu: 1, sigma: 0.5 });
    expect(p.steps).toEqual({ distribution: 'q_log_normal', mu: 5, sigma: 1, q: 1 });
    expect(p.model).toEqual({
      parameters: {
        depth: { distribution: 'categorical', values: [2, 4] },
        head: { parameters: { kind: { distribution: 'constant', value: 'mlp' } } },
      },
    });
  });

  it('reads JSON text and objects alike', () => {
    const object = { method: 'grid', parameters: { a: { values: [1, 2] } }, command: ['${env}', 'python3', '${program}', '${args}'], program: 'x.py' };
    expect(parseSweepConfig(JSON.stringify(object))).toEqual(parseSweepConfig(object));
    expect(parseSweepConfig(object).command).toEqual(['${env}', 'python3', '${program}', '${args}']);
  });

  it('fills hyperband and metric defaults and takes the Cohort metric.aggregate', () => {
    const config = parseSweepConfig({
      method: 'bayes',
      metric: { name: 'acc', goal: 'maximize', target: 0.99, aggregate: 'mean' },
      early_terminate: { type: 'hyperband', min_iter: 3 },
      parameters: { x: { min: 0, max: 1.5 } },
    });
    expect(config.early_terminate).toEqual({ type: 'hyperband', min_iter: 3, eta: 3, strict: true });
    expect(config.metric).toEqual({ name: 'acc', goal: 'maximize', target: 0.99, impute: 'worst', aggregate: 'mean' });
  });

  it('lists every problem at once, each with its path and rule', () => {
    const found = issues(`
method: bayes
colour: blue
run_cap: 0
command: python train.py
metric: { goal: up, aggregate: max }
early_terminate: { type: hyperband, eta: 1 }
parameters:
  a: { min: 5, max: 1 }
  b: { distribution: log_uniform_values, min: 0, max: 1 }
  c: { values: [x, y], probabilities: [0.2] }
  d: { distribution: log_uniform, min: -5, max: 0 }
  e: { distribution: normal, sigma: -1 }
  f: { values: [] }
  g: { distribution: int_uniform, min: 0.5, max: 3 }
  h: { distribution: q_uniform, min: 0, max: 1, q: 0 }
  i: { lo: 1 }
  j: { distribution: uniform, min: 0, max: 1, q: 2 }
  k: { distribution: beta }
  "9x": { value: 1 }
  n:
    parameters:
      m: { distribution: zeta }
`);
    const byPath = Object.fromEntries(found.map((i) => [i.path, i.rule]));
    expect(byPath).toMatchObject({
      colour: expect.stringContaining('unknown key'),
      run_cap: 'must be an integer > 0',
      command: 'must be a non-empty list of strings',
      'metric.name': expect.stringContaining('required'),
      'metric.goal': 'must be minimize or maximize',
      'metric.aggregate': 'must be rank0 or mean',
      'early_terminate.eta': 'must be a number > 1',
      early_terminate: 'hyperband needs min_iter, or max_iter and s',
      'parameters.a.max': 'must be greater than min (5)',
      'parameters.b.min': 'log_uniform_values needs min > 0',
      'parameters.c.probabilities': expect.stringMatching(/one probability per value|sum to 1/),
      'parameters.d.distribution': expect.stringContaining('log_uniform_values'),
      'parameters.e.sigma': 'must be > 0',
      'parameters.f.values': 'must be a non-empty list',
      'parameters.g.min': 'int_uniform takes integer bounds',
      'parameters.h.q': 'must be > 0',
      'parameters.i': expect.stringContaining('cannot tell the distribution'),
      'parameters.j.q': 'uniform takes only min, max',
      'parameters.k.distribution': 'the beta distribution is not supported',
      'parameters.9x': expect.stringContaining('parameter name'),
      'parameters.n.parameters.m.distribution': expect.stringContaining('must be one of'),
    });
    expect(found.filter((i) => i.path === 'parameters.c.probabilities')).toHaveLength(2);
    // The error's message carries them all too.
    expect(() => parseSweepConfig('method: grid\nparameters: {a: {values: []}, b: {min: 1, max: 0}}')).toThrow(/parameters\.a\.values[\s\S]*parameters\.b\.max/);
  });

  it('requires method and parameters, and a metric for bayes and hyperband', () => {
    expect(issues({})).toEqual([
      { path: 'method', rule: 'is required: one of grid, random, bayes' },
      { path: 'parameters', rule: 'is required' },
    ]);
    expect(issues({ method: 'bayes', parameters: { a: { values: [1, 2] } } })).toEqual([{ path: 'metric', rule: 'bayes search needs a metric to optimize' }]);
    expect(issues({ method: 'random', parameters: { a: { values: [1, 2] } }, early_terminate: { type: 'hyperband', min_iter: 1 } })).toEqual([
      { path: 'metric', rule: 'early_terminate (hyperband) needs a metric to compare trials by' },
    ]);
    expect(issues({ method: 'bayes', metric: { name: 'l' }, parameters: { a: { value: 1 } } })).toEqual([
      { path: 'parameters', rule: 'bayes search needs at least one parameter that is not a constant' },
    ]);
    expect(issues({ method: 'custom', parameters: {} }).map((i) => i.path)).toEqual(['method', 'parameters']);
  });

  it('grid search takes only values, value, int_uniform and q_uniform, as W&B', () => {
    expect(() => parseSweepConfig({ method: 'grid', parameters: { a: { values: [1] }, b: { min: 1, max: 3 }, c: { distribution: 'q_uniform', min: 0, max: 1, q: 0.5 }, d: { value: 2 } } })).not.toThrow();
    expect(issues({ method: 'grid', parameters: { a: { min: 0.1, max: 1 }, n: { parameters: { b: { values: [1, 2], probabilities: [0.5, 0.5] } } } } })).toEqual([
      { path: 'parameters.a', rule: 'grid search takes only value, values (without probabilities), int_uniform or q_uniform, not uniform' },
      { path: 'parameters.n.parameters.b', rule: 'grid search takes only value, values (without probabilities), int_uniform or q_uniform, not categorical_w_probabilities' },
    ]);
  });

  it('hyperband: max_iter with s, and a config with no band is refused', () => {
    expect(parseSweepConfig({ method: 'random', metric: { name: 'l' }, parameters: { a: { values: [1] } }, early_terminate: { type: 'hyperband', max_iter: 27, s: 3, eta: 3, strict: false } }).early_terminate).toEqual({
      type: 'hyperband',
      max_iter: 27,
      s: 3,
      eta: 3,
      strict: false,
    });
    expect(issues({ method: 'random', metric: { name: 'l' }, parameters: { a: { values: [1] } }, early_terminate: { type: 'hyperband', max_iter: 2, s: 2, eta: 3 } })).toEqual([
      { path: 'early_terminate', rule: 'gives no bands (max_iter / eta < 1): raise max_iter or lower eta' },
    ]);
  });

  it('refuses text that is not YAML or JSON, and a config that is not an object', () => {
    expect(issues('method: [grid')[0]!.rule).toMatch(/^not valid YAML or JSON/);
    expect(issues('- 1\n- 2')).toEqual([{ path: '', rule: 'a sweep config is an object (a YAML mapping or a JSON object)' }]);
  });
});
