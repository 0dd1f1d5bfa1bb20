import { CohortError } from '@cohort/protocol';
import type { Store } from '@cohort/store';
import { readSeries, type SeriesData, type SeriesOptions } from './series-query.js';

/**
 * One metric of many runs in one read: what the dashboard's project
 * workspace draws (a line per run in one chart per key). Each run's series
 * is bucketed as `/series` does (series-query.ts), so a spike survives.
 */

/** The most runs one request may name. */
export const MAX_SERIES_RUNS = 500;

/** Options of {@link Engine.runsSeries}: those of one run's series, less `keys`. */
export type RunsSeriesOptions = Omit<SeriesOptions, 'keys'>;

/** What {@link Engine.runsSeries} returns. */
export interface RunsSeriesResult {
  key: string;
  xAxis: string;
  buckets: number;
  /** By run id, in the order asked; a run that never logged the key is left out. */
  runs: Record<string, SeriesData>;
  /** Run ids asked for that do not exist in the project. */
  missing: string[];
}

/** Checks the run ids and key of a request; INVALID_ARGUMENT naming the field and the rule. */
export function checkRunsSeries(runIds: readonly string[], key: string): void {
  if (runIds.length === 0) throw new CohortError('INVALID_ARGUMENT', 'runsSeries.runs: expected at least 1 run id');
  if (runIds.length > MAX_SERIES_RUNS) {
    throw new CohortError('INVALID_ARGUMENT', `runsSeries.runs: expected at most ${MAX_SERIES_RUNS} run ids per request, got ${runIds.length}; ask in several requests`);
  }
  if (typeof key !== 'string' || key === '' || key.length > 512) throw new CohortError('INVALID_ARGUMENT', `runsSeries.key: expected a leaf path of 1 to 512 characters, got ${JSON.stringify(key)}`);
}

/** Reads `key` of each run (`pk` undefined: the run does not exist). */
export async function readRunsSeries(store: Store, runs: ReadonlyArray<{ runId: string; pk: number | undefined }>, key: string, options: RunsSeriesOptions = {}): Promise<RunsSeriesResult> {
  const result: RunsSeriesResult = { key, xAxis: options.xAxis ?? '_step', buckets: 0, runs: {}, missing: [] };
  for (const { runId, pk } of runs) {
    if (pk === undefined) {
      result.missing.push(runId);
      continue;
    }
    const one = await readSeries(store, pk, { ...options, keys: [key] });
    result.buckets = one.buckets;
    const data = one.series[key];
    if (data !== undefined) result.runs[runId] = data;
  }
  return result;
}
