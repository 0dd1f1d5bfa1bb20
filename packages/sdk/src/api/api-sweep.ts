import type { SweepTrialView, SweepView } from '@cohort/protocol';
import { apiGet } from './api-get.js';
import { ApiRun } from './api-run.js';
import type { HttpClient } from './http-client.js';

/** Runs fetched at once while a sweep's runs load. */
const RUN_FETCHES = 8;

/**
 * A sweep as the server shows it, with its trials' runs (W&B's
 * `api.sweep(path)`: `runs`, `best_run()`).
 */
export class ApiSweep {
  readonly id: string;
  readonly entity: string;
  readonly project: string;
  /** `running`, `paused`, `stopped`, `canceled` or `finished`. */
  readonly state: string;
  /** The parsed config, defaults filled. */
  readonly config: Record<string, unknown>;
  readonly metric: { readonly name: string; readonly goal: 'minimize' | 'maximize' };
  readonly trials: readonly SweepTrialView[];
  /** The trials' runs (rank 0 of a distributed trial), in trial order; trials without a run yet are left out. */
  readonly runs: readonly ApiRun[];
  readonly #bestRunId: string | null;

  /** @internal `api.sweep()` builds it. */
  constructor(view: SweepView, runs: readonly ApiRun[]) {
    this.id = view.id;
    this.entity = view.entity;
    this.project = view.project;
    this.state = view.state;
    this.config = view.config;
    this.metric = view.metric;
    this.trials = view.trials;
    this.runs = runs;
    this.#bestRunId = view.bestRunId;
  }

  /** The run of the best finished trial by the metric's goal, `undefined` before any. */
  bestRun(): ApiRun | undefined {
    return this.#bestRunId === null ? undefined : this.runs.find((r) => r.id === this.#bestRunId);
  }
}

/** `GET /api/v1/sweeps/:entity/:project/:sweep` and each trial's run. */
export async function fetchSweep(http: HttpClient, entity: string, project: string, id: string): Promise<ApiSweep> {
  const view = await apiGet(http, '/api/v1/sweeps/{entity}/{project}/{sweep}', { entity, project, sweep: id });
  const ids = view.trials.map((t) => t.runId).filter((r) => r !== '');
  const runs: ApiRun[] = new Array(ids.length);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const i = next++;
      runs[i] = new ApiRun(http, await apiGet(http, '/api/v1/runs/{entity}/{project}/{id}', { entity, project, id: ids[i]! }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(RUN_FETCHES, ids.length) }, worker));
  return new ApiSweep(view, runs);
}
