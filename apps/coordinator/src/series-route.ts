import { CohortError, type HttpAnswer } from '@cohort/protocol';
import { MAX_BUCKETS, MAX_SERIES_RUNS, type Engine, type RunsSeriesOptions } from '@cohort/engine';
import { z } from 'zod';
import { intParam, listParam, parseQuery } from './http-query.js';

/**
 * `GET /api/v1/series/:entity/:project?runs=a,b&key=train/loss`: one metric
 * of many runs in one request (docs/http-api.md), what the project
 * workspace draws. At most `MAX_SERIES_RUNS` runs per request.
 */
export async function runsSeriesRoute(engine: Engine, entity: string, project: string, q: URLSearchParams, signal: AbortSignal): Promise<HttpAnswer<'/api/v1/series/{entity}/{project}'>> {
  const query = parseQuery(q, {
    runs: listParam(MAX_SERIES_RUNS, 256),
    key: z.string().min(1, { message: 'expected a leaf path' }).max(512, { message: 'expected a leaf path of at most 512 characters' }),
    buckets: intParam(1, MAX_BUCKETS),
    xAxis: z.string().max(512, { message: 'expected a key of at most 512 characters' }),
    minStep: intParam(0, Number.MAX_SAFE_INTEGER),
    maxStep: intParam(0, Number.MAX_SAFE_INTEGER),
    band: z.enum(['0', '1'], { message: 'expected 0 or 1' }),
  });
  if (query.runs === undefined) throw new CohortError('INVALID_ARGUMENT', `query parameter \`runs\`: required, comma-separated run ids (at most ${MAX_SERIES_RUNS})`);
  if (query.key === undefined) throw new CohortError('INVALID_ARGUMENT', 'query parameter `key`: required, the leaf path of one metric');
  if (query.minStep !== undefined && query.maxStep !== undefined && query.minStep > query.maxStep) {
    throw new CohortError('INVALID_ARGUMENT', `query parameter \`minStep\`: ${query.minStep} is above maxStep ${query.maxStep}`);
  }
  const options: RunsSeriesOptions = {
    signal,
    ...(query.buckets !== undefined && { buckets: query.buckets }),
    ...(query.xAxis !== undefined && { xAxis: query.xAxis }),
    ...(query.minStep !== undefined && { minStep: query.minStep }),
    ...(query.maxStep !== undefined && { maxStep: query.maxStep }),
    ...(query.band !== undefined && { band: query.band === '1' }),
  };
  return engine.runsSeries(entity, project, query.runs, query.key, options);
}
