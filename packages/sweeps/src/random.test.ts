import { describe, expect, it } from 'vitest';
import { parseSweepConfig, suggest, type Trial } from './index.js';

const N = 4000;

function draw(parameters: Record<string, unknown>): unknown[] {
  const config = parseSweepConfig({ method: 'random', parameters: { v: parameters } });
  return Array.from({ length: N }, (_, seed) => suggest(config, [], { seed })!.params.v);
}

function fakeTrials(count: number): Trial[] {
  return Array.from({ length: count }, (_, i) => ({ id: String(i), params: {}, state: 'finished' as const, metric: null }));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
};

describe('random search', () => {
  it('samples each distribution with the right law (fixed seeds)', () => {
    // In an object (not text) 2.0 is 2: integer bounds would mean int_uniform, so name the distribution.
    const uniform = draw({ distribution: 'uniform', min: 2, max: 4 }) as number[];
    expect(Math.min(...uniform)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...uniform)).toBeLessThan(4);
    expect(mean(uniform)).toBeCloseTo(3, 1);

    const ints = draw({ min: 1, max: 4 }) as number[];
    for (const v of [1, 2, 3, 4]) expect(ints.filter((x) => x === v).length / N).toBeCloseTo(0.25, 1);

    const logs = draw({ distribution: 'log_uniform_values', min: 1e-4, max: 1 }) as number[];
    expect(Math.log10(median(logs))).toBeCloseTo(-2, 0); // the geometric middle, not 0.5
    expect(logs.filter((x) => x < 1e-3).length / N).toBeCloseTo(0.25, 1);

    const inv = draw({ distribution: 'inv_log_uniform_values', min: 0.01, max: 1 }) as number[];
    expect(Math.log10(median(inv))).toBeCloseTo(-1, 0);
    expect(Math.min(...inv)).toBeGreaterThanOrEqual(0.01);

    const normal = draw({ distribution: 'normal', mu: 5, sigma: 2 }) as number[];
    expect(mean(normal)).toBeCloseTo(5, 0);
    expect(sd(normal)).toBeCloseTo(2, 0);

    const logNormal = draw({ distribution: 'log_normal', mu: 1, sigma: 0.5 }) as number[];
    expect(Math.log(median(logNormal))).toBeCloseTo(1, 1);

    const probs = draw({ values: ['a', 'b', 'c'], probabilities: [0.1, 0.6, 0.3] });
    expect(probs.filter((x) => x === 'b').length / N).toBeCloseTo(0.6, 1);
    expect(probs.filter((x) => x === 'a').length / N).toBeCloseTo(0.1, 1);

    const cats = draw({ values: [true, false] });
    expect(cats.filter((x) => x === true).length / N).toBeCloseTo(0.5, 1);
  });

  it('quantizes the q_ distributions to multiples of q (integers when q is)', () => {
    const qu = draw({ distribution: 'q_uniform', min: 0, max: 1, q: 0.25 }) as number[];
    expect(new Set(qu)).toEqual(new Set([0, 0.25, 0.5, 0.75, 1]));
    const qlog = draw({ distribution: 'q_log_uniform_values', min: 16, max: 512, q: 16 }) as number[];
    expect(qlog.every((x) => Number.isInteger(x) && x % 16 === 0 && x >= 16 && x <= 512)).toBe(true);
    const qn = draw({ distribution: 'q_normal', mu: 0, sigma: 10, q: 0.5 }) as number[];
    expect(qn.every((x) => Number.isInteger(x * 2))).toBe(true);
    const qln = draw({ distribution: 'q_log_normal', mu: 3, sigma: 1 }) as number[];
    expect(qln.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
  });

  it('is deterministic for a seed and trial count, and differs between seeds', () => {
    const config = parseSweepConfig({ method: 'random', parameters: { a: { min: 0, max: 0.5 }, n: { parameters: { b: { values: [1, 2, 3] }, c: { value: 'k' } } } } });
    const one = suggest(config, [], { seed: 42 });
    expect(suggest(config, [], { seed: 42 })).toEqual(one);
    expect(suggest(config, [], { seed: 43 })).not.toEqual(one);
    expect(suggest(config, fakeTrials(1), { seed: 42 })).not.toEqual(one);
    expect(one!.params).toMatchObject({ n: { c: 'k' } });
    expect([1, 2, 3]).toContain((one!.params.n as { b: number }).b);
  });
});
