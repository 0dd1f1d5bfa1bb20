import type { HyperbandConfig, SweepConfig } from './config-types.js';
import { historyValues, type Trial } from './trial.js';

const MAX_BANDS = 100;

/**
 * The iterations at which Hyperband compares trials, as wandb/sweeps computes them:
 * with max_iter and s, max_iter/eta, max_iter/eta², ... (s of them, floored, ascending);
 * with min_iter, min_iter, min_iter·eta, min_iter·eta², ...
 */
export function hyperbandBands(et: HyperbandConfig): number[] {
  const bands: number[] = [];
  if (et.max_iter !== undefined && et.s !== undefined) {
    let band = et.max_iter;
    for (let i = 0; i < et.s; i++) {
      band /= et.eta;
      if (band < 1) break;
      bands.push(Math.floor(band));
    }
    return bands.sort((a, b) => a - b);
  }
  let band = et.min_iter ?? 1;
  for (let i = 0; i < MAX_BANDS && band <= Number.MAX_SAFE_INTEGER; i++) {
    bands.push(Math.floor(band));
    band *= et.eta;
  }
  return bands;
}

/**
 * Hyperband's stopping rule (Li et al., "Hyperband"; wandb/sweeps' hyperband_stopping):
 * at each band b (an iteration count: the b-th logged value of the metric), the threshold
 * is the value ranked at the top 1/eta among every trial that reached b. A running trial
 * whose value at its latest band reached (strict) — or its best so far (strict: false) — is
 * worse than that threshold is stopped. Returns the ids of trials to stop.
 */
export function trialsToStop(config: SweepConfig, trials: readonly Trial[]): string[] {
  const et = config.early_terminate;
  const metric = config.metric;
  if (!et || !metric) return [];
  const sign = metric.goal === 'maximize' ? -1 : 1;
  const bands = hyperbandBands(et);
  const r = 1 / et.eta;
  const histories = new Map(trials.map((t) => [t.id, historyValues(t).map((v) => sign * v)]));
  const thresholds = bands.map((band) => {
    const at: number[] = [];
    for (const h of histories.values()) if (h.length >= band) at.push(h[band - 1]!);
    if (at.length === 0) return Infinity;
    at.sort((a, b) => a - b);
    return at[Math.floor(r * at.length)]!;
  });
  const stop: string[] = [];
  for (const trial of trials) {
    if (trial.state !== 'running') continue;
    const h = histories.get(trial.id)!;
    let i = -1;
    while (i + 1 < bands.length && bands[i + 1]! <= h.length) i++;
    if (i < 0) continue;
    const value = et.strict ? h[bands[i]! - 1]! : h.reduce((a, b) => Math.min(a, b), Infinity);
    if (value > thresholds[i]!) stop.push(trial.id);
  }
  return stop;
}
