import { finish } from '../init.js';
import { SWEEP_ENV } from './sweep-env.js';
import { agentName, SweepClient, type SweepServerOptions } from './sweep-client.js';

/** Options of {@link sweep}. */
export type SweepOptions = SweepServerOptions;

/**
 * Creates a sweep (W&B's `wandb.sweep`): `config` is a sweep config in W&B's
 * format, an object or YAML/JSON text (docs/sweeps.md). Returns the sweep's
 * id; INVALID_ARGUMENT names every bad path and rule at once.
 *
 * @example
 * const id = await sweep({ method: 'grid', metric: { name: 'loss', goal: 'minimize' }, parameters: { lr: { values: [0.1, 0.01] } } }, { project: 'mnist' });
 */
export async function sweep(config: unknown, options: SweepOptions = {}): Promise<string> {
  return (await new SweepClient(options).create(config)).id;
}

/** What the function of {@link agent} gets for each trial. */
export interface TrialContext {
  readonly sweepId: string;
  readonly trialId: string;
  /** The trial's parameters; `init()` inside the function puts them in `run.config`, locked. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Aborted when the sweep stops the trial (early termination, a canceled sweep): return soon. */
  readonly signal: AbortSignal;
}

/** Options of {@link agent}. */
export interface AgentOptions extends SweepServerOptions {
  /** Trials to run at most. @defaultValue until the sweep is done */
  readonly count?: number;
  /** Seconds between trial heartbeats; a trial silent for 3 of them counts as crashed. @defaultValue 10 */
  readonly heartbeatSeconds?: number;
  /** Stops asking for trials (the current one still ends). */
  readonly signal?: AbortSignal;
}

const sleep = (ms: number, signal: AbortSignal | undefined) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/** Sets environment variables for the duration of a trial; returns what restores them. */
function withEnv(vars: Record<string, string>): () => void {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/**
 * Runs trials of a sweep in this process, one after another (W&B's
 * `wandb.agent(sweep_id, function=fn, count=n)`): for each, `fn` gets the
 * parameters, and an `init()` inside it joins the trial (locked config,
 * `run.sweepId`, the trial's run group). A run `fn` leaves open is finished
 * (exit code 1 when `fn` threw). Returns how many trials ran.
 *
 * @example
 * await agent(id, async ({ params }) => {
 *   const run = await init({ project: 'mnist' });
 *   run.log({ loss: train(params.lr) });
 * }, { count: 4, project: 'mnist' });
 */
export async function agent(sweepId: string, fn: (trial: TrialContext) => unknown, options: AgentOptions = {}): Promise<number> {
  const client = new SweepClient(options);
  const ref = await client.resolve(sweepId);
  const heartbeatSeconds = options.heartbeatSeconds ?? 10;
  const name = agentName();
  let ran = 0;
  while ((options.count === undefined || ran < options.count) && options.signal?.aborted !== true) {
    const next = await client.next(ref, { agent: name, heartbeatSeconds });
    if ('done' in next) break;
    if ('wait' in next) {
      await sleep(next.retryAfterMs, options.signal);
      continue;
    }
    ran++;
    const stop = new AbortController();
    const beat = setInterval(() => {
      client.heartbeat(ref, next.trialId).then(
        (s) => s && stop.abort(),
        () => undefined,
      );
    }, heartbeatSeconds * 1000);
    const restore = withEnv({
      [SWEEP_ENV.sweepId]: ref.id,
      [SWEEP_ENV.trialId]: next.trialId,
      [SWEEP_ENV.params]: JSON.stringify(next.params),
      COHORT_URL: client.http.baseUrl,
      COHORT_RUN_GROUP: next.runGroup,
      // Each trial is a run of its own: an id or resume from this process's environment would merge them.
      COHORT_RUN_ID: '',
      COHORT_RESUME: '',
      COHORT_PROJECT: ref.project,
      COHORT_ENTITY: ref.entity,
    });
    let exitCode = 0;
    try {
      await fn({ sweepId: ref.id, trialId: next.trialId, params: next.params, signal: stop.signal });
      await finish(0);
    } catch (err) {
      exitCode = 1;
      await finish(1);
      process.emitWarning(`sweep ${ref.id}: trial ${next.trialId} failed: ${(err as Error).message ?? String(err)}`);
    } finally {
      clearInterval(beat);
      restore();
    }
    await client.end(ref, next.trialId, exitCode);
  }
  return ran;
}
