import { bayesSuggest } from './bayes.js';
import type { SweepConfig } from './config-types.js';
import { quantile } from './distributions.js';
import { nextGridPoint } from './grid.js';
import { rngFor, type Rng } from './prng.js';
import { flatten, nest } from './space.js';
import type { Suggestion, Trial } from './trial.js';

export interface SuggestOptions {
  /** Seeds the search: the same seed, config and trials give the same suggestion. Omitted: fresh randomness. */
  seed?: number;
}

/**
 * The next trial's parameters, or null when the sweep has nothing more to run: run_cap
 * trials exist (in any state), a finished trial reached metric.target, or the grid is done.
 * Trials still pending or running count, so concurrent callers that record each suggestion
 * as a pending trial before asking again get distinct grid points and spread-out bayes points.
 */
export function suggest(config: SweepConfig, trials: readonly Trial[], opts: SuggestOptions = {}): Suggestion | null {
  if (config.run_cap !== undefined && trials.length >= config.run_cap) return null;
  if (targetReached(config, trials)) return null;
  const rng = rngFor(opts.seed, trials.length);
  switch (config.method) {
    case 'grid':
      return nextGridPoint(config, trials);
    case 'random':
      return randomSuggest(config, rng);
    case 'bayes':
      return bayesSuggest(config, trials, rng);
  }
}

/** Random search: every parameter drawn from its distribution. */
export function randomSuggest(config: SweepConfig, rng: Rng): Suggestion {
  const params = flatten(config.parameters);
  return { params: nest(params, params.map((p) => quantile(p.spec, rng()))) };
}

/** Whether a finished trial's metric reached metric.target (at or below it when minimizing, at or above when maximizing). */
export function targetReached(config: SweepConfig, trials: readonly Trial[]): boolean {
  const m = config.metric;
  if (m?.target === undefined) return false;
  const target = m.target;
  return trials.some((t) => t.state === 'finished' && t.metric !== null && (m.goal === 'minimize' ? t.metric <= target : t.metric >= target));
}
