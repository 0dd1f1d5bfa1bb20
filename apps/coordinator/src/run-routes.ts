import { CohortError, type HttpAnswer, type HttpRoute } from '@cohort/protocol';
import { MAX_BUCKETS, MAX_HISTORY_ROWS, MAX_PAGE_SIZE, MAX_SERIES_KEYS, type Engine, type HistoryOptions, type ScanHistoryOptions, type SeriesOptions } from '@cohort/engine';
import type { RunKey } from '@cohort/store';
import { intParam, listParam, parseQuery } from './http-query.js';
import { z } from 'zod';

/** Most keys one history query may name. */
export const MAX_HISTORY_KEYS = 1000;
/** Most system metric samples one request may ask for. */
const MAX_SYSTEM_SAMPLES = 100_000;

const xAxisParam = z.string().max(512, { message: 'expected a key of at most 512 characters' });
const stepParam = intParam(0, Number.MAX_SAFE_INTEGER);

function checkRange(minStep: number | undefined, maxStep: number | undefined): void {
  if (minStep !== undefined && maxStep !== undefined && minStep > maxStep) {
    throw new CohortError('INVALID_ARGUMENT', `query parameter \`minStep\`: ${minStep} is above maxStep ${maxStep}`);
  }
}

/** The JSON routes under a run this table answers (files, console, artifacts and the stream are answered elsewhere). */
type RunSub = 'history' | 'history/scan' | 'series' | 'alerts' | 'state-history' | 'events' | 'system';

/** One route, answering its body as `HTTP_ROUTES` (@cohort/protocol) types it: `signal` aborts when the HTTP client goes away, so long reads stop. */
type RunRoute<S extends RunSub> = (engine: Engine, run: RunKey, q: URLSearchParams, signal: AbortSignal) => Promise<HttpAnswer<`/api/v1/runs/{entity}/{project}/{id}/${S}` & HttpRoute>>;

/**
 * The routes under `/api/v1/runs/:entity/:project/:id/`, by sub-path: the one
 * table the HTTP API dispatches them from (docs/http-api.md).
 *
 * - `history`: rows as logged; `samples` downsamples with full fidelity
 *   (`?keys=&samples=&xAxis=&minStep=&maxStep=`),
 * - `history/scan`: every row, a page at a time (`?fromStep=&pageSize=`),
 * - `series`: numeric metrics downsampled to per-bucket min, max and last
 *   (`?keys=&buckets=&xAxis=&minStep=&maxStep=`),
 * - `alerts`: the run's alerts, oldest first,
 * - `state-history` and `events`: the run's state changes, oldest first,
 * - `system`: system metric samples (`?limit=`).
 */
export const RUN_ROUTES: { readonly [S in RunSub]: RunRoute<S> } = {
  history: async (engine, run, q) => {
    const query = parseQuery(q, {
      keys: listParam(MAX_HISTORY_KEYS, 512),
      samples: intParam(1, MAX_HISTORY_ROWS),
      xAxis: xAxisParam,
      minStep: stepParam,
      maxStep: stepParam,
    });
    checkRange(query.minStep, query.maxStep);
    const options: HistoryOptions = {
      ...(query.keys !== undefined && { keys: query.keys }),
      ...(query.samples !== undefined && { samples: query.samples }),
      ...(query.xAxis !== undefined && { xAxis: query.xAxis }),
      ...(query.minStep !== undefined && { minStep: query.minStep }),
      ...(query.maxStep !== undefined && { maxStep: query.maxStep }),
    };
    return { rows: await engine.history(run, options) };
  },
  'history/scan': async (engine, run, q) => {
    const query = parseQuery(q, { fromStep: stepParam, pageSize: intParam(1, MAX_PAGE_SIZE) });
    const options: ScanHistoryOptions = {
      ...(query.fromStep !== undefined && { fromStep: query.fromStep }),
      ...(query.pageSize !== undefined && { pageSize: query.pageSize }),
    };
    const page = await engine.scanHistory(run, options);
    return { rows: page.rows, nextStep: page.nextStep };
  },
  series: async (engine, run, q, signal) => {
    const query = parseQuery(q, {
      keys: listParam(MAX_SERIES_KEYS, 512),
      buckets: intParam(1, MAX_BUCKETS),
      xAxis: xAxisParam,
      minStep: stepParam,
      maxStep: stepParam,
    });
    checkRange(query.minStep, query.maxStep);
    const options: SeriesOptions = {
      signal,
      ...(query.keys !== undefined && { keys: query.keys }),
      ...(query.buckets !== undefined && { buckets: query.buckets }),
      ...(query.xAxis !== undefined && { xAxis: query.xAxis }),
      ...(query.minStep !== undefined && { minStep: query.minStep }),
      ...(query.maxStep !== undefined && { maxStep: query.maxStep }),
    };
    return engine.series(run, options);
  },
  alerts: async (engine, run, q) => {
    parseQuery(q, {});
    return {
      alerts: (await engine.alerts(run)).map((a) => ({ title: a.title, text: a.text, level: a.level, timestamp: a.timestamp, suppressed: a.suppressed })),
    };
  },
  'state-history': stateChanges,
  events: stateChanges,
  system: async (engine, run, q) => {
    const query = parseQuery(q, { limit: intParam(1, MAX_SYSTEM_SAMPLES) });
    return { samples: await engine.systemMetrics(run, query.limit === undefined ? {} : { limit: query.limit }) };
  },
};

async function stateChanges(engine: Engine, run: RunKey, q: URLSearchParams): Promise<HttpAnswer<'/api/v1/runs/{entity}/{project}/{id}/events'>> {
  parseQuery(q, {});
  return { events: (await engine.runEvents(run)).map((e) => ({ state: e.state, at: e.at, detail: e.detail })) };
}

/** Answers the {@link RUN_ROUTES} entry `sub` (`history`, `history/scan`, ...) for an existing run. */
export async function runSubRoute(engine: Engine, run: RunKey, sub: string, q: URLSearchParams, signal: AbortSignal): Promise<unknown> {
  const route = Object.hasOwn(RUN_ROUTES, sub) ? RUN_ROUTES[sub as RunSub] : undefined;
  if (!route) throw new CohortError('NOT_FOUND', `no run route ${JSON.stringify(sub)}`);
  // Each engine read answers NOT_FOUND for a missing run itself, from the run's pk alone (not its megabytes of summary).
  return route(engine, run, q, signal);
}
