import type { ParamValue } from './config-types.js';

export type TrialState = 'pending' | 'running' | 'finished' | 'failed' | 'crashed' | 'stopped' | 'killed';

/** A trial of a sweep as the controller sees it. */
export interface Trial {
  id: string;
  params: Record<string, ParamValue>;
  state: TrialState;
  /** The trial's value of config.metric.name (its final/summary value), null when it has none. */
  metric: number | null;
  /** The metric over steps, in logging order: Hyperband's iterations and bayes' impute use it. */
  history?: { step: number; value: number }[];
}

export interface Suggestion {
  params: Record<string, ParamValue>;
}

/** The metric's logged values in step order, finite ones only. */
export function historyValues(trial: Trial): number[] {
  if (!trial.history) return [];
  return [...trial.history].sort((a, b) => a.step - b.step).map((h) => h.value).filter(Number.isFinite);
}
