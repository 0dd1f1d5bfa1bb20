import { describe, expect, it } from 'vitest';
import { gridSize, parseSweepConfig, suggest, type Trial } from './index.js';

function runAll(config: ReturnType<typeof parseSweepConfig>, start: Trial[] = []): Trial[] {
  const trials = [...start];
  for (let s = suggest(config, trials); s; s = suggest(config, trials)) {
    trials.push({ id: String(trials.length), params: s.params, state: 'finished', metric: 0 });
    if (trials.length > 1000) throw new Error('grid did not end');
  }
  return trials;
}

describe('grid search', () => {
  it('enumerates every point once in W&B order (names sorted, the last varying fastest), nested parameters nested', () => {
    const config = parseSweepConfig(`
method: grid
parameters:
  lr: { values: [0.1, 0.01] }
  seed: { value: 7 }
  model:
    parameters:
      width: { values: [64, 128] }
      act: { value: relu }
  batch: { min: 1, max: 2 }
`);
    expect(gridSize(config)).toBe(8);
    const points = runAll(config).map((t) => t.params);
    expect(points).toEqual([
      { batch: 1, lr: 0.1, model: { act: 'relu', width: 64 }, seed: 7 },
      { batch: 1, lr: 0.1, model: { act: 'relu', width: 128 }, seed: 7 },
      { batch: 1, lr: 0.01, model: { act: 'relu', width: 64 }, seed: 7 },
      { batch: 1, lr: 0.01, model: { act: 'relu', width: 128 }, seed: 7 },
      { batch: 2, lr: 0.1, model: { act: 'relu', width: 64 }, seed: 7 },
      { batch: 2, lr: 0.1, model: { act: 'relu', width: 128 }, seed: 7 },
      { batch: 2, lr: 0.01, model: { act: 'relu', width: 64 }, seed: 7 },
      { batch: 2, lr: 0.01, model: { act: 'relu', width: 128 }, seed: 7 },
    ]);
  });

  it('q_uniform steps from min below max (numpy arange, as W&B), without float noise', () => {
    const config = parseSweepConfig({ method: 'grid', parameters: { x: { distribution: 'q_uniform', min: 0, max: 0.5, q: 0.1 } } });
    expect(runAll(config).map((t) => t.params.x)).toEqual([0, 0.1, 0.2, 0.3, 0.4]);
  });

  it('skips points that trials in any state already took, and is done when all are taken', () => {
    const config = parseSweepConfig({ method: 'grid', parameters: { a: { values: ['x', 'y', 'z'] }, obj: { values: [{ k: 1, j: 2 }] } } });
    const taken: Trial[] = [
      { id: 'p', params: { a: 'y', obj: { j: 2, k: 1 } }, state: 'crashed', metric: null },
      { id: 'q', params: { a: 'x', obj: { k: 1, j: 2 } }, state: 'running', metric: null },
    ];
    expect(suggest(config, taken)).toEqual({ params: { a: 'z', obj: { k: 1, j: 2 } } });
    expect(runAll(config, taken)).toHaveLength(3);
    expect(suggest(config, runAll(config))).toBeNull();
  });

  it('stops at run_cap and once a finished trial reaches metric.target', () => {
    const config = parseSweepConfig({ method: 'grid', run_cap: 2, parameters: { a: { min: 1, max: 100 } } });
    expect(runAll(config)).toHaveLength(2);
    const target = parseSweepConfig({ method: 'grid', metric: { name: 'acc', goal: 'maximize', target: 0.9 }, parameters: { a: { min: 1, max: 100 } } });
    const trials: Trial[] = [{ id: '1', params: { a: 1 }, state: 'finished', metric: 0.5 }];
    expect(suggest(target, trials)).toEqual({ params: { a: 2 } });
    trials.push({ id: '2', params: { a: 2 }, state: 'running', metric: 0.95 });
    expect(suggest(target, trials)).not.toBeNull(); // running trials do not end the sweep
    trials.push({ id: '3', params: { a: 3 }, state: 'finished', metric: 0.9 });
    expect(suggest(target, trials)).toBeNull();
  });

  it('a huge int_uniform axis costs nothing to step through', () => {
    const config = parseSweepConfig({ method: 'grid', parameters: { a: { min: 0, max: 1_000_000_000 }, b: { values: [1, 2] } } });
    expect(gridSize(config)).toBe(2_000_000_002);
    expect(suggest(config, [{ id: '1', params: { a: 0, b: 1 }, state: 'finished', metric: 1 }])).toEqual({ params: { a: 0, b: 2 } });
  });
});
