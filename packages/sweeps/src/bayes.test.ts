import { describe, expect, it } from 'vitest';
import { parseSweepConfig, suggest, type SweepConfig, type Trial } from './index.js';

const BRANIN_MIN = 0.397887;
const branin = (x: number, y: number) => (y - (5.1 / (4 * Math.PI ** 2)) * x * x + (5 / Math.PI) * x - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x) + 10;
const braninConfig = (method: 'bayes' | 'random', goal = 'minimize') =>
  parseSweepConfig({ method, metric: { name: 'f', goal }, parameters: { x: { distribution: 'uniform', min: -5, max: 10 }, y: { distribution: 'uniform', min: 0, max: 15 } } });

function run(config: SweepConfig, f: (p: Record<string, unknown>) => number, count: number, seed: number): Trial[] {
  const trials: Trial[] = [];
  for (let i = 0; i < count; i++) {
    const s = suggest(config, trials, { seed })!;
    trials.push({ id: String(i), params: s.params, state: 'finished', metric: f(s.params) });
  }
  return trials;
}

const best = (trials: Trial[], goal = 1) => Math.min(...trials.map((t) => goal * t.metric!));
const onBranin = (p: Record<string, unknown>) => branin(p.x as number, p.y as number);

describe('bayes search', () => {
  it('beats random on Branin in 25 trials, for each of three seeds', () => {
    for (const seed of [1, 2, 3]) {
      const bayes = best(run(braninConfig('bayes'), onBranin, 25, seed));
      const random = best(run(braninConfig('random'), onBranin, 25, seed));
      expect(bayes - BRANIN_MIN).toBeLessThan(1);
      expect(bayes).toBeLessThan(random);
    }
  });

  it('is deterministic for a seed', () => {
    const a = run(braninConfig('bayes'), onBranin, 12, 7).map((t) => t.params);
    expect(run(braninConfig('bayes'), onBranin, 12, 7).map((t) => t.params)).toEqual(a);
  });

  it('maximizes when the goal says so', () => {
    const trials = run(braninConfig('bayes', 'maximize'), (p) => -onBranin(p), 25, 4);
    expect(-best(trials, -1) - BRANIN_MIN).toBeLessThan(1);
  });

  it('treats trials still running as fantasies, so the next suggestion goes elsewhere', () => {
    const config = braninConfig('bayes');
    const observed = run(config, onBranin, 12, 5);
    const busy = (params: Record<string, unknown>): Trial => ({ id: 'busy', params, state: 'running', metric: null });
    // Same trial count, same seed: the only difference is where the running trial is.
    const first = suggest(config, [...observed, busy({ x: -5, y: 0 })], { seed: 9 })!.params;
    const second = suggest(config, [...observed, busy(first)], { seed: 9 })!.params;
    const distance = Math.hypot((first.x as number) - (second.x as number), (first.y as number) - (second.y as number));
    expect(distance).toBeGreaterThan(0.3);
  });

  it('handles categorical and log-scaled parameters', () => {
    const config = parseSweepConfig({
      method: 'bayes',
      metric: { name: 'loss' },
      parameters: {
        optimizer: { values: ['sgd', 'adam', 'rmsprop'] },
        lr: { distribution: 'log_uniform_values', min: 1e-6, max: 1 },
        layers: { min: 1, max: 8 },
        seed: { value: 3 },
      },
    });
    const loss = (p: Record<string, unknown>) => (Math.log10(p.lr as number) + 3) ** 2 + (p.optimizer === 'adam' ? 0 : 2) + 0.1 * Math.abs((p.layers as number) - 4);
    const trials = run(config, loss, 30, 11);
    const top = trials.reduce((a, b) => (a.metric! < b.metric! ? a : b));
    expect(top.params.optimizer).toBe('adam');
    expect(Math.abs(Math.log10(top.params.lr as number) + 3)).toBeLessThan(0.5);
    expect(Number.isInteger(top.params.layers)).toBe(true);
    expect(trials.every((t) => t.params.seed === 3)).toBe(true);
  });

  it('imputes failed trials as the worst value, survives duplicate points, and runs each discrete point once', () => {
    const config = braninConfig('bayes');
    const trials: Trial[] = [];
    for (let i = 0; i < 6; i++) trials.push({ id: `d${i}`, params: { x: 1, y: 1 }, state: 'finished', metric: 20 + i });
    trials.push({ id: 'f', params: { x: 9, y: 14 }, state: 'failed', metric: null }, { id: 'c', params: { x: -4, y: 14 }, state: 'crashed', metric: null });
    const s = suggest(config, trials, { seed: 1 })!.params;
    expect(s.x).toBeGreaterThanOrEqual(-5);
    expect(s.y).toBeLessThanOrEqual(15);

    const discrete = parseSweepConfig({ method: 'bayes', metric: { name: 'm' }, parameters: { a: { values: [1, 2, 3] }, b: { values: ['p', 'q'] } } });
    const seen = run(discrete, (p) => (p.a as number) + (p.b === 'p' ? 0 : 1), 6, 2).map((t) => JSON.stringify(t.params));
    expect(new Set(seen).size).toBe(6);
  });

  it('searches every distribution and keeps each value in its domain', () => {
    const config = parseSweepConfig(`
method: bayes
metric: { name: m }
parameters:
  a: { values: [x, y, z], probabilities: [0.2, 0.3, 0.5] }
  b: { distribution: q_uniform, min: 0, max: 1, q: 0.25 }
  c: { distribution: q_log_uniform_values, min: 8, max: 512, q: 8 }
  d: { distribution: inv_log_uniform_values, min: 0.001, max: 1 }
  e: { distribution: normal, mu: 2, sigma: 0.5 }
  f: { distribution: q_normal, mu: 0, sigma: 4, q: 2 }
  g: { distribution: log_normal, mu: 0, sigma: 1 }
  h: { distribution: q_log_normal, mu: 0, sigma: 0.5 }
  n: { parameters: { k: { min: -3, max: 3 }, fixed: { value: [1, 2] } } }
`);
    const trials = run(config, (p) => ((p.e as number) - 2) ** 2 + Math.abs(Math.log10(p.d as number) + 1) + (p.a === 'z' ? 0 : 1), 20, 3);
    for (const { params: p } of trials) {
      expect(['x', 'y', 'z']).toContain(p.a);
      expect(Number.isInteger((p.b as number) * 4)).toBe(true);
      expect((p.c as number) % 8).toBe(0);
      expect(p.d).toBeGreaterThanOrEqual(0.001);
      expect(p.d).toBeLessThanOrEqual(1);
      expect(Number.isFinite(p.e)).toBe(true);
      expect(Number.isInteger((p.f as number) / 2)).toBe(true);
      expect(p.g).toBeGreaterThan(0);
      expect(Number.isInteger(p.h)).toBe(true);
      expect(p.n).toMatchObject({ fixed: [1, 2] });
      expect(Number.isInteger((p.n as { k: number }).k)).toBe(true);
    }
  });
});
