import { ConfigState, invalidArgument, isPlainObject, parseJson } from '@cohort/protocol';

/** The trial a process runs, as its agent set it in the environment (docs/sweeps.md). */
export interface SweepTrialEnv {
  /** `COHORT_SWEEP_ID` */
  readonly sweepId: string;
  /** `COHORT_SWEEP_TRIAL` */
  readonly trialId: string;
  /** `COHORT_SWEEP_PARAMS`: the trial's parameters (JSON). */
  readonly params: Record<string, unknown>;
}

/** The environment variables of a trial, as the agents set them. */
export const SWEEP_ENV = { sweepId: 'COHORT_SWEEP_ID', trialId: 'COHORT_SWEEP_TRIAL', params: 'COHORT_SWEEP_PARAMS' } as const;

/** The sweep trial of this process, or `undefined` outside one. INVALID_ARGUMENT naming the variable for bad JSON. */
export function readSweepEnv(env: Readonly<Record<string, string | undefined>> = process.env): SweepTrialEnv | undefined {
  const sweepId = env[SWEEP_ENV.sweepId];
  if (sweepId === undefined || sweepId === '') return undefined;
  const text = env[SWEEP_ENV.params] ?? '{}';
  let params: unknown;
  try {
    params = parseJson(text);
  } catch {
    throw invalidArgument(`${SWEEP_ENV.params}: expected a JSON object, got ${JSON.stringify(text.slice(0, 100))}`);
  }
  if (!isPlainObject(params)) throw invalidArgument(`${SWEEP_ENV.params}: expected a JSON object`);
  return { sweepId, trialId: env[SWEEP_ENV.trialId] ?? '', params };
}

/**
 * Puts a trial's parameters in a run's config and locks them (docs/run-semantics.md §4):
 * they win over the config given to `init`, and a later `config.update`
 * of one of them is ignored with a warning.
 */
export function lockSweepParams(config: ConfigState, trial: SweepTrialEnv | undefined): void {
  if (trial === undefined) return;
  config.update(trial.params, { allowValChange: true });
  config.lock(Object.keys(trial.params));
}
