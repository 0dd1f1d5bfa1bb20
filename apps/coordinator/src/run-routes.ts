import { CohortError } from '@cohort/protocol';
import { MAX_BUCKETS, MAX_SERIES_KEYS, type Engine, type SeriesOptions } from '@cohort/engine';
import type { RunKey } from '@cohort/store';
import { intParam, listParam, parseQuery } from './http-query.js';
import { z } from 'zod';

/**
 * The run routes the dashboard reads besides the run itself and its rows:
 *
 * - `series`: numeric metrics downsampled to per-bucket min, max and last
 *   (`?keys=&buckets=&xAxis=&minStep=&maxStep=`),
 * - `alerts`: the run's alerts, oldest first,
 * - `state-history`: the run's state changes (start, preemption, crash,
 *   resume, finish), oldest first.
 */
export const RUN_SUB_ROUTES: ReadonlySet<string> = new Set(['series', 'alerts', 'state-history']);

const xAxisParam = z.string().max(512, { message: 'expected a key of at most 512 characters' });

/** Answers one of {@link RUN_SUB_ROUTES} for an existing run. */
export async function runSubRoute(engine: Engine, run: RunKey, sub: string, q: URLSearchParams): Promise<unknown> {
  switch (sub) {
    case 'series': {
      const query = parseQuery(q, {
        keys: listParam(MAX_SERIES_KEYS, 512),
        buckets: intParam(1, MAX_BUCKETS),
        xAxis: xAxisParam,
        minStep: intParam(0, Number.MAX_SAFE_INTEGER),
        maxStep: intParam(0, Number.MAX_SAFE_INTEGER),
      });
      if (query.minStep !== undefined && query.maxStep !== undefined && query.minStep > query.maxStep) {
        throw new CohortError('INVALID_ARGUMENT', `query parameter \`minStep\`: ${query.minStep} is above maxStep ${query.maxStep}`);
      }
      const options: SeriesOptions = {
        ...(query.keys !== undefined && { keys: query.keys }),
        ...(query.buckets !== undefined && { buckets: query.buckets }),
        ...(query.xAxis !== undefined && { xAxis: query.xAxis }),
        ...(query.minStep !== undefined && { minStep: query.minStep }),
        ...(query.maxStep !== undefined && { maxStep: query.maxStep }),
      };
      return engine.series(run, options);
    }
    case 'alerts':
      parseQuery(q, {});
      return {
        alerts: (await engine.alerts(run)).map((a) => ({ title: a.title, text: a.text, level: a.level, timestamp: a.timestamp, suppressed: a.suppressed })),
      };
    case 'state-history':
      parseQuery(q, {});
      return { events: (await engine.runEvents(run)).map((e) => ({ state: e.state, at: e.at, detail: e.detail })) };
    default:
      throw new CohortError('NOT_FOUND', `no run route ${JSON.stringify(sub)}`);
  }
}
