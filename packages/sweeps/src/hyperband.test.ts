import { describe, expect, it } from 'vitest';
import { hyperbandBands, parseSweepConfig, trialsToStop, type Trial, type TrialState } from './index.js';

function config(earlyTerminate: Record<string, unknown>, goal = 'minimize') {
  return parseSweepConfig({ method: 'random', metric: { name: 'loss', goal }, early_terminate: { type: 'hyperband', ...earlyTerminate }, parameters: { a: { values: [1, 2, 3] } } });
}

function trial(id: string, state: TrialState, values: number[]): Trial {
  return { id, state, params: { a: 1 }, metric: values.at(-1) ?? null, history: values.map((value, step) => ({ step, value })) };
}

describe('hyperband', () => {
  it('computes the bands as wandb/sweeps does', () => {
    expect(hyperbandBands(config({ max_iter: 27, s: 3 }).early_terminate!)).toEqual([1, 3, 9]);
    expect(hyperbandBands(config({ max_iter: 81, s: 2, eta: 3 }).early_terminate!)).toEqual([9, 27]);
    expect(hyperbandBands(config({ max_iter: 5, s: 2, eta: 2 }).early_terminate!)).toEqual([1, 2]);
    expect(hyperbandBands(config({ min_iter: 2, eta: 2 }).early_terminate!).slice(0, 5)).toEqual([2, 4, 8, 16, 32]);
  });

  it("matches wandb/sweeps' worked example (max_iter 5, eta 2, s 2)", () => {
    const trials = [
      trial('a', 'finished', [10, 9]),
      trial('b', 'running', [10, 10]),
      trial('c', 'running', [10, 8, 8]),
      trial('d', 'running', [10, 7, 7]),
      trial('e', 'finished', [10, 6, 6]),
    ];
    // Band 2's threshold is the value ranked floor(5 / 2) = 2 among 9, 10, 8, 7, 6: 8. Only b is worse.
    expect(trialsToStop(config({ max_iter: 5, eta: 2, s: 2 }), trials)).toEqual(['b']);
  });

  it('on synthetic learning curves, keeps the top 1/eta at each band and stops only running trials', () => {
    const cfg = config({ min_iter: 1, eta: 3 });
    // Curves that cross: trial i converges to final_i at its own speed.
    const curves = Array.from({ length: 27 }, (_, i) => {
      const final = ((i * 7) % 27) / 27;
      const speed = 0.3 + ((i * 11) % 27) / 20;
      return (t: number) => final + (2 - final) * Math.exp(-speed * t) + 0.001 * i;
    });
    const trials: Trial[] = curves.map((_, i) => trial(`t${i}`, 'running', []));
    const alive: number[] = [];
    for (let t = 1; t <= 27; t++) {
      for (const [i, tr] of trials.entries()) if (tr.state === 'running') tr.history!.push({ step: t, value: curves[i]!(t) });
      const stop = new Set(trialsToStop(cfg, trials));
      for (const tr of trials) {
        if (!stop.has(tr.id)) continue;
        expect(tr.state).toBe('running');
        // A trial is stopped right at a band, never between bands.
        expect([1, 3, 9, 27]).toContain(tr.history!.length);
        tr.state = 'stopped';
      }
      alive.push(trials.filter((tr) => tr.state === 'running').length);
    }
    // 27 trials: 10 pass band 1 (ranks 0..floor(27/3)), 4 pass band 3, 2 pass band 9, 1 passes band 27.
    expect([alive[0], alive[2], alive[8], alive[26]]).toEqual([10, 4, 2, 1]);
    expect(alive.every((n, t) => t === 0 || n <= alive[t - 1]!)).toBe(true);
    // The survivor is the best at iteration 27 among those that got there.
    const reached = trials.filter((tr) => tr.history!.length >= 9);
    const best = reached.reduce((a, b) => (a.history![8]!.value < b.history![8]!.value ? a : b));
    expect(trials.filter((tr) => tr.state === 'running').map((tr) => tr.id)).toEqual([best.id]);
  });

  it('maximize flips the order; strict: false compares the best value so far', () => {
    const up = [trial('good', 'running', [0.9]), trial('bad', 'running', [0.1]), trial('mid', 'running', [0.5])];
    // The threshold is the value ranked floor(3 / 3) = 1 from the top: 0.5; only 'bad' is worse.
    expect(trialsToStop(config({ min_iter: 1, eta: 3 }, 'maximize'), up)).toEqual(['bad']);
    // 'dip' was good at step 1 and worse at its band (step 3): strict stops it, the conservative rule keeps it.
    const trials = [trial('dip', 'running', [0, 5, 9]), trial('x', 'finished', [1, 2, 3]), trial('y', 'finished', [1, 2, 4])];
    expect(trialsToStop(config({ min_iter: 3, eta: 2 }), trials)).toEqual(['dip']);
    expect(trialsToStop(config({ min_iter: 3, eta: 2, strict: false }), trials)).toEqual([]);
  });

  it('returns nothing without early_terminate or before the first band', () => {
    const none = parseSweepConfig({ method: 'random', metric: { name: 'loss' }, parameters: { a: { values: [1] } } });
    expect(trialsToStop(none, [trial('a', 'running', [1, 2, 3])])).toEqual([]);
    expect(trialsToStop(config({ min_iter: 5 }), [trial('a', 'running', [9, 9]), trial('b', 'finished', [1, 1, 1, 1, 1])])).toEqual([]);
  });
});
