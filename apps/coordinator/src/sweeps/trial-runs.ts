import { getLeaf, parseJson } from '@cohort/protocol';
import type { Store, StoredRun } from '@cohort/store';

/** Most runs one trial's group is read with (its ranks). */
const MAX_TRIAL_RUNS = 1024;
/** Most metric points a trial keeps for early termination (the latest). */
export const MAX_TRIAL_HISTORY = 2000;

/** How a trial's metric is taken from its runs: rank 0's (a run without a rank counts as rank 0), or the mean over ranks. */
export type MetricAggregate = 'rank0' | 'mean';

/** The runs of a trial: those of its run group, rank 0 (or the only run) first. */
export async function trialRuns(store: Store, entity: string, project: string, runGroup: string): Promise<StoredRun[]> {
  const runs = await store.listRuns(entity, project, { group: runGroup, limit: MAX_TRIAL_RUNS });
  return runs.sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0) || a.createdAt - b.createdAt);
}

/** The run that stands for a trial: rank 0 of its group, or its only run. */
export function primaryRun(runs: readonly StoredRun[]): StoredRun | undefined {
  return runs.find((r) => r.rank === 0 || r.rank === null) ?? runs[0];
}

function summaryValue(run: StoredRun, name: string): number | null {
  if (run.summaryJson === '') return null;
  const summary = parseJson(run.summaryJson);
  if (summary === null || typeof summary !== 'object') return null;
  const v = getLeaf(summary as Record<string, unknown>, name);
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** A trial's metric from its runs' summaries (docs/sweeps.md, "Distributed trials"); null when none has it. */
export function trialMetric(runs: readonly StoredRun[], name: string, aggregate: MetricAggregate): number | null {
  if (aggregate === 'mean') {
    const values = runs.map((r) => summaryValue(r, name)).filter((v): v is number => v !== null);
    return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
  }
  const primary = primaryRun(runs);
  return primary === undefined ? null : summaryValue(primary, name);
}

/** The metric over steps of a trial's primary run (the latest {@link MAX_TRIAL_HISTORY} points). */
export async function trialHistory(store: Store, runs: readonly StoredRun[], name: string): Promise<{ step: number; value: number }[]> {
  const primary = primaryRun(runs);
  if (primary === undefined) return [];
  const columns = await store.readHistory(primary.pk, { keys: [name] });
  const series = columns.numeric.find((s) => s.key === name);
  if (!series) return [];
  const out: { step: number; value: number }[] = [];
  const from = Math.max(0, series.steps.length - MAX_TRIAL_HISTORY);
  for (let i = from; i < series.steps.length; i++) {
    const value = series.values[i]!;
    if (Number.isFinite(value)) out.push({ step: series.steps[i]!, value });
  }
  return out;
}
