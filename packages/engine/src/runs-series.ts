import { CohortError, type RunsSeriesResult } from '@cohort/protocol';
import type { Store } from '@cohort/store';
import { checkSeriesOptions, downsample, xValues, type SeriesOptions } from './series-query.js';

/**
 * One metric of many runs in one read: what the dashboard's project
 * workspace draws (a line per run in one chart per key). Each run's series
 * is bucketed as `/series` does (series-query.ts), so a spike survives.
 */

/** The most runs one request may name. */
export const MAX_SERIES_RUNS = 500;

/** Options of {@link Engine.runsSeries}: those of one run's series, less `keys`. */
export type RunsSeriesOptions = Omit<SeriesOptions, 'keys'> & {
  /** False: each run's `x` and `last` only (a line per run), half the bytes or less. @defaultValue true */
  band?: boolean;
};

/** A run's series (`min` and `max` absent without the band) and what {@link Engine.runsSeries} returns: the HTTP API's shapes (@cohort/protocol, http/series.ts). */
export type { RunSeriesData, RunsSeriesResult } from '@cohort/protocol';

/** Checks the run ids and key of a request; INVALID_ARGUMENT naming the field and the rule. */
export function checkRunsSeries(runIds: readonly string[], key: string): void {
  if (runIds.length === 0) throw new CohortError('INVALID_ARGUMENT', 'runsSeries.runs: expected at least 1 run id');
  if (runIds.length > MAX_SERIES_RUNS) {
    throw new CohortError('INVALID_ARGUMENT', `runsSeries.runs: expected at most ${MAX_SERIES_RUNS} run ids per request, got ${runIds.length}; ask in several requests`);
  }
  if (typeof key !== 'string' || key === '' || key.length > 512) throw new CohortError('INVALID_ARGUMENT', `runsSeries.key: expected a leaf path of 1 to 512 characters, got ${JSON.stringify(key)}`);
}

/**
 * Reads `key` of each run (`pk` undefined: the run does not exist): one
 * store read per run of the key's column (and the x column), bucketed as
 * {@link readSeries} buckets a run's series.
 */
export async function readRunsSeries(store: Store, runs: ReadonlyArray<{ runId: string; pk: number | undefined }>, key: string, options: RunsSeriesOptions = {}): Promise<RunsSeriesResult> {
  const { buckets, xAxis } = checkSeriesOptions(options);
  const range = {
    ...(options.minStep !== undefined && { minStep: options.minStep }),
    ...(options.maxStep !== undefined && { maxStep: options.maxStep }),
  };
  const result: RunsSeriesResult = { key, xAxis, buckets, runs: {}, missing: [] };
  let first = true;
  for (const { runId, pk } of runs) {
    if (pk === undefined) {
      result.missing.push(runId);
      continue;
    }
    // SQLite reads are synchronous: let other requests in between runs.
    if (!first) await new Promise<void>((resolve) => setImmediate(resolve));
    first = false;
    if (options.signal?.aborted === true) throw new CohortError('DEADLINE_EXCEEDED', `runsSeries: the caller went away after ${Object.keys(result.runs).length} of ${runs.length} runs; the read stopped`);
    const cols = (await store.readHistory(pk, { ...range, keys: xAxis === '_step' || xAxis === key ? [key] : [key, xAxis] })).numeric;
    const col = cols.find((c) => c.key === key);
    const xCol = xAxis === '_step' ? undefined : cols.find((c) => c.key === xAxis);
    if (col === undefined || (xAxis !== '_step' && xCol === undefined)) continue;
    const data = downsample(xCol ? xValues(col.steps, xCol) : col.steps, col.values, buckets);
    result.runs[runId] = options.band === false ? { x: data.x, last: data.last, points: data.points, downsampled: data.downsampled } : data;
  }
  return result;
}
