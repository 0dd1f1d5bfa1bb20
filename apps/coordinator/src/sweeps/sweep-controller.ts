import { CohortError, generateRunId, parseJson, stringifyJson, type NextTrialView, type SweepView } from '@cohort/protocol';
import type { StoredSweep, StoredTrial, Store, SweepKey, SweepState, TrialState } from '@cohort/store';
import { buildCommand, paramImportance, parseSweepConfig, suggest, SweepConfigError, trialsToStop, type SweepConfig, type Trial } from '@cohort/sweeps';
import { KeyedBatcher } from './next-batcher.js';
import { primaryRun, trialHistory, trialMetric, trialRuns } from './trial-runs.js';

/** What an agent asks `next` with. */
export interface NextRequest {
  agent: string;
  heartbeatSeconds: number;
  interpreter?: string | undefined;
  env?: string | undefined;
}

/** Heartbeats a trial may miss before it counts as crashed. */
const MISSED_HEARTBEATS = 3;
/** How long an agent told to wait waits before asking again. */
const WAIT_MS = 2000;

/** The sweep actions of `POST .../:id/<action>`: the states each moves from, and to. */
const ACTIONS = {
  pause: { from: ['running'], to: 'paused', stopRunning: false },
  resume: { from: ['paused'], to: 'running', stopRunning: false },
  stop: { from: ['running', 'paused'], to: 'stopped', stopRunning: false },
  cancel: { from: ['running', 'paused', 'stopped'], to: 'canceled', stopRunning: true },
} as const satisfies Record<string, { from: readonly SweepState[]; to: SweepState; stopRunning: boolean }>;

export type SweepAction = keyof typeof ACTIONS;
export const SWEEP_ACTIONS = Object.keys(ACTIONS) as SweepAction[];

/** A sweep config error as the API answers it: INVALID_ARGUMENT naming every path and rule at once. */
function configError(err: unknown): unknown {
  if (!(err instanceof SweepConfigError)) return err;
  return new CohortError('INVALID_ARGUMENT', `invalid sweep config: ${err.issues.map((i) => `${i.path || '(root)'}: ${i.rule}`).join('; ')}`);
}

/** The trial's seq from its id (`<sweep id>-<seq>`), NOT_FOUND otherwise. */
function seqOf(key: SweepKey, trialId: string): number {
  const m = /^(.+)-(\d{1,9})$/.exec(trialId);
  if (!m || m[1] !== key.id) throw new CohortError('NOT_FOUND', `trial ${JSON.stringify(trialId)} is not a trial of sweep ${key.id}`);
  return Number(m[2]);
}

function toTrial(t: StoredTrial): Trial {
  return {
    id: t.id,
    params: parseJson(t.paramsJson) as Record<string, unknown>,
    state: t.state,
    metric: t.metric,
    ...(t.historyJson !== '' && { history: parseJson(t.historyJson) as { step: number; value: number }[] }),
  };
}

/** A 32-bit seed from a sweep's id and how many trials it has: random search is reproducible per sweep. */
function seedOf(id: string, n: number): number {
  let h = 2166136261;
  for (const c of `${id}#${n}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

/**
 * The sweep controller (docs/sweeps.md): creates sweeps, hands each
 * suggestion to exactly one agent, watches trials' heartbeats and metrics,
 * and delivers early-termination decisions on heartbeats. All its state is
 * in the store, and `next` decides under the sweep's lock, so any number of
 * coordinators over one Postgres act as one controller.
 */
export class SweepController {
  readonly #store: Store;
  readonly #httpUrl: () => string;
  readonly #now: () => number;
  readonly #batcher = new KeyedBatcher<{ key: SweepKey; req: NextRequest }, NextTrialView>((_, batch) => this.#nextBatch(batch[0]!.key, batch.map((b) => b.req)));

  constructor(store: Store, httpUrl: () => string, now: () => number = () => Date.now() / 1000) {
    this.#store = store;
    this.#httpUrl = httpUrl;
    this.#now = now;
  }

  /** The page of a sweep: `<server>/<entity>/<project>/sweeps/<id>`. */
  url(key: SweepKey): string {
    return `${this.#httpUrl().replace(/\/$/, '')}/${encodeURIComponent(key.entity)}/${encodeURIComponent(key.project)}/sweeps/${encodeURIComponent(key.id)}`;
  }

  /** Creates a sweep from a config (YAML or JSON text, or an object); INVALID_ARGUMENT naming every bad path and rule. */
  async create(entity: string, project: string, input: unknown): Promise<{ id: string; url: string }> {
    let config: SweepConfig;
    try {
      config = parseSweepConfig(input);
    } catch (err) {
      throw configError(err);
    }
    const now = this.#now();
    const sweep: StoredSweep = { entity, project, id: generateRunId(), configJson: stringifyJson(config), state: 'running', createdAt: now, updatedAt: now };
    await this.#store.sweeps.create(sweep);
    return { id: sweep.id, url: this.url(sweep) };
  }

  async #sweep(key: SweepKey): Promise<{ sweep: StoredSweep; config: SweepConfig }> {
    const sweep = await this.#store.sweeps.get(key);
    if (!sweep) throw new CohortError('NOT_FOUND', `sweep ${key.entity}/${key.project}/${key.id} does not exist`);
    return { sweep, config: parseJson(sweep.configJson) as SweepConfig };
  }

  /** Pauses, resumes, stops (no new trials) or cancels (running trials are stopped too) a sweep. */
  async control(key: SweepKey, action: SweepAction): Promise<{ id: string; state: SweepState }> {
    const a = ACTIONS[action];
    const after = await this.#store.sweeps.setState(key, a.from, a.to, this.#now(), a.stopRunning);
    if (!after) throw new CohortError('NOT_FOUND', `sweep ${key.entity}/${key.project}/${key.id} does not exist`);
    if (after.state !== a.to) throw new CohortError('FAILED_PRECONDITION', `sweep ${key.id} is ${after.state}; ${action} needs it ${a.from.join(' or ')}`);
    return { id: key.id, state: after.state };
  }

  /**
   * The next trial for an agent: each suggestion goes to exactly one agent.
   * Agents asking one sweep at once are decided together, a batch per
   * transaction (`next-batcher.ts`).
   */
  async next(key: SweepKey, req: NextRequest): Promise<NextTrialView> {
    return this.#batcher.submit(JSON.stringify([key.entity, key.project, key.id]), { key, req });
  }

  async #nextBatch(key: SweepKey, reqs: readonly NextRequest[]): Promise<NextTrialView[]> {
    const { config } = await this.#sweep(key);
    const agents = reqs.map((r) => ({ agent: r.agent, timeoutSeconds: r.heartbeatSeconds * MISSED_HEARTBEATS }));
    // One batch decides with one list of trials that grows as it hands them out: each is parsed once.
    const parsed = new WeakMap<StoredTrial, Trial>();
    const asTrial = (t: StoredTrial): Trial => {
      let trial = parsed.get(t);
      if (!trial) parsed.set(t, (trial = toTrial(t)));
      return trial;
    };
    const decide = (_sweep: StoredSweep, trials: readonly StoredTrial[]) => {
      const s = suggest(config, trials.map(asTrial), { seed: seedOf(key.id, trials.length) });
      return s === null ? null : stringifyJson(s.params);
    };
    // Bayes imputing a failed trial's latest value reads metric histories; nothing else does.
    const answers = await this.#store.sweeps.next(key, this.#now(), agents, decide, config.method === 'bayes' && config.metric?.impute === 'latest');
    const state = answers.some((a) => 'none' in a) ? ((await this.#store.sweeps.get(key))?.state ?? 'stopped') : 'running';
    return answers.map((next, i): NextTrialView => {
      if ('none' in next) {
        if (next.none === 'done' || next.none === 'stopped') return { done: true, state };
        return { wait: true, state, retryAfterMs: WAIT_MS };
      }
      const req = reqs[i]!;
      const params = parseJson(next.trial.paramsJson) as Record<string, unknown>;
      const command = buildCommand(config, { params, ...(req.interpreter !== undefined && { interpreter: req.interpreter }), ...(req.env !== undefined && { env: req.env }) });
      return { trialId: next.trial.id, runGroup: next.trial.id, params, command };
    });
  }

  /** Refreshes a trial's metric (and, for early termination, its history) from its runs. */
  async #measure(key: SweepKey, config: SweepConfig, trial: StoredTrial, withHistory: boolean): Promise<{ metric: number | null; historyJson?: string }> {
    if (!config.metric) return { metric: null };
    const runs = await trialRuns(this.#store, key.entity, key.project, trial.id);
    const metric = trialMetric(runs, config.metric.name, config.metric.aggregate);
    if (!withHistory) return { metric };
    return { metric, historyJson: stringifyJson(await trialHistory(this.#store, runs, config.metric.name)) };
  }

  /**
   * A trial's heartbeat: `stop` when the sweep decided the trial should end
   * (Hyperband's rule on the trials' metric histories, or a canceled sweep),
   * or when the trial was already written off.
   */
  async heartbeat(key: SweepKey, trialId: string): Promise<{ stop: boolean }> {
    const seq = seqOf(key, trialId);
    const { config } = await this.#sweep(key);
    const trial = await this.#store.sweeps.heartbeat(key, seq, this.#now());
    if (!trial) throw new CohortError('NOT_FOUND', `trial ${trialId} does not exist`);
    if (trial.state !== 'running' || trial.stopRequested) return { stop: true };
    const early = config.early_terminate !== undefined;
    await this.#store.sweeps.recordProgress(key, seq, await this.#measure(key, config, trial, early));
    if (!early) return { stop: false };
    const stop = trialsToStop(config, (await this.#store.sweeps.trials(key, true)).map(toTrial));
    if (stop.length === 0) return { stop: false };
    await this.#store.sweeps.requestStop(key, stop.map((id) => seqOf(key, id)));
    return { stop: stop.includes(trialId) };
  }

  /**
   * A trial's end as its agent saw it: stopped when the sweep asked it to
   * stop (its runs then end `stopped`, not crashed or failed), else finished
   * on exit code 0 and failed otherwise.
   */
  async end(key: SweepKey, trialId: string, exitCode: number): Promise<{ trialId: string; state: TrialState; metric: number | null }> {
    const seq = seqOf(key, trialId);
    const { config } = await this.#sweep(key);
    const before = (await this.#store.sweeps.trials(key)).find((t) => t.seq === seq);
    if (!before) throw new CohortError('NOT_FOUND', `trial ${trialId} does not exist`);
    const state: TrialState = before.stopRequested ? 'stopped' : exitCode === 0 ? 'finished' : 'failed';
    const now = this.#now();
    const after = await this.#store.sweeps.end(key, seq, state, exitCode, now, await this.#measure(key, config, before, config.early_terminate !== undefined));
    if (state === 'stopped') await this.#markRunsStopped(key, trialId, now);
    return { trialId, state: after?.state ?? state, metric: after?.metric ?? null };
  }

  async #markRunsStopped(key: SweepKey, trialId: string, now: number): Promise<void> {
    for (const run of await trialRuns(this.#store, key.entity, key.project, trialId)) {
      if (run.state === 'stopped') continue;
      await this.#store.updateRun(
        run.pk,
        { state: 'stopped', endTime: run.endTime ?? now, ...(run.exitCode === null && { exitCode: 143 }) },
        { event: { state: 'stopped', at: now, detail: `stopped by sweep ${key.id} (trial ${trialId})` } },
      );
    }
  }

  /** A sweep with its trials, their runs and metrics, the best run and the parameters' importance. */
  async view(key: SweepKey): Promise<SweepView> {
    await this.#store.sweeps.expireTrials(key, this.#now());
    const { sweep, config } = await this.#sweep(key);
    const stored = await this.#store.sweeps.trials(key);
    const trials = [];
    for (const t of stored) {
      const runs = await trialRuns(this.#store, key.entity, key.project, t.id);
      // A running trial's metric as its runs say now; an ended one's as recorded at its end.
      const metric = t.state === 'running' && config.metric ? trialMetric(runs, config.metric.name, config.metric.aggregate) : t.metric;
      trials.push({ trialId: t.id, runId: primaryRun(runs)?.runId ?? '', runGroup: t.id, state: t.state, params: parseJson(t.paramsJson) as Record<string, unknown>, metric, startedAt: t.startedAt, endedAt: t.endedAt });
    }
    const goal = config.metric?.goal ?? 'minimize';
    let best: (typeof trials)[number] | undefined;
    for (const t of trials) {
      if (t.state !== 'finished' || t.metric === null || t.runId === '') continue;
      if (!best || (goal === 'minimize' ? t.metric < best.metric! : t.metric > best.metric!)) best = t;
    }
    return {
      id: sweep.id,
      entity: sweep.entity,
      project: sweep.project,
      state: sweep.state,
      config: config as unknown as Record<string, unknown>,
      createdAt: sweep.createdAt,
      bestRunId: best?.runId ?? null,
      metric: { name: config.metric?.name ?? '', goal },
      importance: config.metric ? paramImportance(config, stored.map(toTrial)) : [],
      trials,
    };
  }

  /** A project's sweeps, newest first. */
  async list(entity: string, project: string): Promise<{ sweeps: { id: string; state: SweepState; createdAt: number; method: string; metric: string; trials: number }[] }> {
    const sweeps = await this.#store.sweeps.list(entity, project);
    const out = [];
    for (const s of sweeps) {
      const config = parseJson(s.configJson) as SweepConfig;
      out.push({ id: s.id, state: s.state, createdAt: s.createdAt, method: config.method, metric: config.metric?.name ?? '', trials: (await this.#store.sweeps.trials(s)).length });
    }
    return { sweeps: out };
  }
}
