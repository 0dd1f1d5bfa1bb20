import { describe, expect, it } from 'vitest';
import { paramImportance, parseSweepConfig, suggest, type Trial } from './index.js';

describe('paramImportance', () => {
  const config = parseSweepConfig({
    method: 'random',
    metric: { name: 'loss' },
    parameters: {
      lr: { distribution: 'log_uniform_values', min: 1e-5, max: 1 },
      noise: { distribution: 'uniform', min: 0, max: 1 },
      opt: { values: ['adam', 'sgd'] },
      model: { parameters: { width: { values: [64, 128, 256] }, kind: { value: 'mlp' } } },
    },
  });
  const trials: Trial[] = Array.from({ length: 200 }, (_, i) => {
    const { params } = suggest(config, [], { seed: i })!;
    const loss = -2 * Math.log10(params.lr as number) + (params.opt === 'sgd' ? 3 : 0) + 0.01 * ((params.model as { width: number }).width / 64);
    return { id: String(i), params, state: 'finished', metric: loss };
  });

  it('ranks what drives the metric first, with the sign of its correlation', () => {
    const result = paramImportance(config, trials);
    expect(result.map((r) => r.param).slice(0, 1)).toEqual(['lr']);
    const by = Object.fromEntries(result.map((r) => [r.param, r]));
    expect(by.lr!.importance).toBeGreaterThan(0.5);
    expect(by.lr!.correlation).toBeLessThan(-0.5); // larger lr, lower loss
    // A categorical of strings gets one entry per value; numbers stay one column.
    expect(by['opt=sgd']!.correlation).toBeGreaterThan(0.3);
    expect(by['opt=adam']!.correlation).toBeLessThan(-0.3);
    expect(by.noise!.importance).toBeLessThan(0.1);
    expect(by['model.width']).toBeDefined();
    expect(by['model.kind']).toBeUndefined(); // constants explain nothing
    expect(result.reduce((a, r) => a + r.importance, 0)).toBeCloseTo(1, 6);
    expect(paramImportance(config, trials)).toEqual(result); // deterministic
  });

  it('uses only finished (and stopped) trials with a metric, and needs three', () => {
    expect(paramImportance(config, trials.slice(0, 2))).toEqual([]);
    const running = trials.map((t) => ({ ...t, state: 'running' as const }));
    expect(paramImportance(config, running)).toEqual([]);
  });
});
