// npm run bench, part (l): the sweep engine (issue 18). Search quality: over 20 seeds,
// the median number of trials bayes, random and grid need to come within a given regret
// of the optimum of Branin (2-d) and Hartmann-6 (6-d). Speed: one bayes suggestion with
// 1,000 finished trials and 10 parameters (target < 100 ms), beside a random suggestion
// and one 200×200 Cholesky factorization, measured in the same
// run. `node bench/sweeps.mjs` runs it alone (after npm run build); BENCH_SWEEP_SEEDS=5
// makes it quicker.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { gridSize, parseSweepConfig, suggest } from '../packages/sweeps/dist/index.js';
import { cholesky } from '../packages/sweeps/dist/gp.js';
import { fmt, median, printTable } from './lib.mjs';

const SEEDS = Number(process.env.BENCH_SWEEP_SEEDS ?? 20);

const branin = {
  name: 'Branin (2-d)',
  optimum: 0.397887,
  regret: 0.5,
  budget: 300,
  bounds: [[-5, 10], [0, 15]],
  f: ([x, y]) => (y - (5.1 / (4 * Math.PI ** 2)) * x * x + (5 / Math.PI) * x - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x) + 10,
  gridPerAxis: 10,
};

const H_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]];
const H_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991], [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]];
const H_ALPHA = [1, 1.2, 3, 3.2];
const hartmann = {
  name: 'Hartmann-6 (6-d)',
  optimum: -3.32237,
  regret: 1,
  budget: 800,
  bounds: Array.from({ length: 6 }, () => [0, 1]),
  f: (x) => -H_ALPHA.reduce((s, a, i) => s + a * Math.exp(-H_A[i].reduce((e, aij, j) => e + aij * (x[j] - H_P[i][j] * 1e-4) ** 2, 0)), 0),
  gridPerAxis: 3,
};

const names = (n) => Array.from({ length: n }, (_, i) => `x${i}`);

function configFor(problem, method) {
  const keys = names(problem.bounds.length);
  const parameters = Object.fromEntries(
    keys.map((k, i) => {
      const [lo, hi] = problem.bounds[i];
      if (method !== 'grid') return [k, { distribution: 'uniform', min: lo, max: hi }];
      const n = problem.gridPerAxis;
      return [k, { values: Array.from({ length: n }, (_, j) => lo + ((j + 0.5) * (hi - lo)) / n) }];
    }),
  );
  return parseSweepConfig({ method, metric: { name: 'f', goal: 'minimize' }, parameters });
}

/** Trials until the best value is within the regret (budget + 1 when not within the budget, Infinity when a grid ran out of points). */
function trialsToRegret(problem, method, seed) {
  const config = configFor(problem, method);
  const keys = names(problem.bounds.length);
  const trials = [];
  for (let i = 0; i < problem.budget; i++) {
    const s = suggest(config, trials, { seed });
    if (!s) return Infinity;
    const value = problem.f(keys.map((k) => s.params[k]));
    trials.push({ id: String(i), params: s.params, state: 'finished', metric: value });
    if (value - problem.optimum <= problem.regret) return i + 1;
  }
  return problem.budget + 1;
}

function searchQuality() {
  const rows = [];
  for (const problem of [branin, hartmann]) {
    const cells = [];
    for (const method of ['bayes', 'random', 'grid']) {
      const t0 = performance.now();
      // grid is deterministic: one run stands for every seed.
      const counts = method === 'grid' ? [trialsToRegret(problem, method, 0)] : Array.from({ length: SEEDS }, (_, seed) => trialsToRegret(problem, method, seed + 1));
      const m = median(counts);
      const reached = counts.filter((c) => c <= problem.budget).length;
      cells.push({ method, m, reached, runs: counts.length, s: (performance.now() - t0) / 1000 });
    }
    for (const c of cells) {
      rows.push([
        problem.name,
        `≤ ${problem.regret}`,
        c.method,
        c.m === Infinity ? `never (all ${gridSize(configFor(problem, 'grid'))} points)` : c.m > problem.budget ? `> ${problem.budget}` : String(c.m),
        `${c.reached}/${c.runs}`,
        fmt(c.s, 1),
      ]);
    }
  }
  printTable(
    `(l) sweeps: trials to reach the regret, median over ${SEEDS} seeds (grid: one deterministic run, ${branin.gridPerAxis}/axis on Branin, ${hartmann.gridPerAxis}/axis on Hartmann-6); budget ${branin.budget} / ${hartmann.budget} trials`,
    ['function', 'regret', 'method', 'median trials', 'reached', 'seconds'],
    rows,
  );
}

function speed() {
  const parameters = {
    p0: { distribution: 'uniform', min: 0, max: 1 },
    p1: { distribution: 'uniform', min: -5, max: 5 },
    p2: { distribution: 'log_uniform_values', min: 1e-5, max: 1e-1 },
    p3: { distribution: 'log_uniform_values', min: 1, max: 1000 },
    p4: { min: 1, max: 64 },
    p5: { values: ['adam', 'sgd', 'rmsprop'] },
    p6: { distribution: 'normal', mu: 0, sigma: 1 },
    p7: { distribution: 'q_uniform', min: 0, max: 1, q: 0.05 },
    p8: { distribution: 'uniform', min: 0, max: 10 },
    p9: { distribution: 'uniform', min: 0, max: 1 },
  };
  const config = parseSweepConfig({ method: 'bayes', metric: { name: 'loss' }, parameters });
  const random = parseSweepConfig({ method: 'random', metric: { name: 'loss' }, parameters });
  const trials = Array.from({ length: 1000 }, (_, i) => {
    const { params } = suggest(random, [], { seed: i });
    const loss = (params.p0 - 0.3) ** 2 + Math.abs(Math.log10(params.p2) + 3) + (params.p5 === 'adam' ? 0 : 0.5) + Math.sin(params.p8);
    return { id: String(i), params, state: 'finished', metric: loss };
  });
  const time = (fn, n) => {
    const ms = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      fn(i);
      ms.push(performance.now() - t0);
    }
    return median(ms);
  };
  time((i) => suggest(config, trials, { seed: i }), 10); // warm the JIT, as in a server that has suggested before
  const bayesMs = time((i) => suggest(config, trials, { seed: 100 + i }), 15);
  const randomMs = time((i) => suggest(random, trials, { seed: i }), 15);
  const n = 200;
  const spd = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) spd[i * n + j] = Math.exp(-((i - j) ** 2) / 50) + (i === j ? 1e-3 : 0);
  const cholMs = time(() => cholesky(spd, n), 15);
  printTable('(l) sweeps: one suggestion with 1,000 finished trials and 10 parameters (median of 15, after 10 to warm up)', ['suggestion', 'ms', 'target'], [
    ['bayes (GP on the best 50 + latest 50 trials, EI over ~260 candidates)', fmt(bayesMs, 1), '< 100'],
    ['random (baseline: no model)', fmt(randomMs, 2), ''],
    ['one 200×200 Cholesky (baseline: the GP fit’s unit of work)', fmt(cholMs, 2), ''],
  ]);
}

export async function benchSweeps() {
  searchQuality();
  speed(); // after the search runs, so the optimizer's code is compiled as in a long-lived server
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchSweeps();
