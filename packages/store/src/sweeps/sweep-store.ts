import type { SqlProgramRunner } from '../artifacts/artifact-store.js';
import * as ops from './sweep-ops.js';
import type { NewTrial, NextTrial, StoredSweep, StoredTrial, SweepKey, SweepState, TrialProgress, TrialState } from './sweep-types.js';

/** Most sweeps one listing returns. */
export const MAX_SWEEPS_LISTED = 1000;

/**
 * Sweeps and their trials (docs/sweeps.md): the part of the {@link Store}
 * that issue 18 added (`store.sweeps`). One implementation over both SQL
 * stores; the search itself (what to try next) is the caller's `decide`.
 *
 * @example
 * await store.sweeps.create({ entity: 'local', project: 'p', id: 'abc', configJson: '{}', state: 'running', createdAt: now, updatedAt: now });
 * const [next] = await store.sweeps.next({ entity: 'local', project: 'p', id: 'abc' }, now, [{ agent: 'a1', timeoutSeconds: 60 }], () => '{"lr":0.1}');
 */
export class SweepStore {
  readonly #run: SqlProgramRunner;

  /** @internal The stores build it. */
  constructor(run: SqlProgramRunner) {
    this.#run = run;
  }

  /** Creates a sweep; ALREADY_EXISTS when its key is taken. */
  create(sweep: StoredSweep): Promise<StoredSweep> {
    return this.#run(`create sweep ${sweep.id}`, ops.createSweep(sweep));
  }

  /** One sweep, or `undefined`. */
  get(key: SweepKey): Promise<StoredSweep | undefined> {
    return this.#run('get sweep', ops.getSweep(key));
  }

  /** A project's sweeps, newest first (at most {@link MAX_SWEEPS_LISTED}). */
  list(entity: string, project: string): Promise<StoredSweep[]> {
    return this.#run('list sweeps', ops.listSweeps(entity, project, MAX_SWEEPS_LISTED));
  }

  /** A sweep's trials, by seq; without their metric histories (`historyJson` '') unless `withHistory`. */
  trials(key: SweepKey, withHistory = false): Promise<StoredTrial[]> {
    return this.#run('list trials', ops.listTrials(key, withHistory));
  }

  /** Counts running trials that missed their heartbeat as crashed. */
  expireTrials(key: SweepKey, now: number): Promise<void> {
    return this.#run('expire trials', ops.expireTrials(key, now));
  }

  /** Moves a sweep from one of `from` to `to` (see `setSweepState`). */
  setState(key: SweepKey, from: readonly SweepState[], to: SweepState, now: number, stopRunning = false): Promise<StoredSweep | undefined> {
    return this.#run(`set sweep ${key.id} ${to}`, ops.setSweepState(key, from, to, now, stopRunning));
  }

  /**
   * The next trials for agents asking at once, one per agent in order,
   * decided in one transaction under the sweep's lock (see `nextTrials`);
   * `decide` sees histories only `withHistory`.
   */
  next(key: SweepKey, now: number, agents: readonly NewTrial[], decide: (sweep: StoredSweep, trials: readonly StoredTrial[]) => string | null, withHistory = false): Promise<NextTrial[]> {
    return this.#run(`next trials of ${key.id}`, ops.nextTrials(key, now, agents, decide, withHistory));
  }

  /** Heartbeats a running trial; answers the trial after. */
  heartbeat(key: SweepKey, seq: number, now: number): Promise<StoredTrial | undefined> {
    return this.#run('heartbeat trial', ops.heartbeatTrial(key, seq, now));
  }

  /** Records a trial's metric and history. */
  recordProgress(key: SweepKey, seq: number, progress: TrialProgress): Promise<void> {
    return this.#run('record trial progress', ops.recordProgress(key, seq, progress));
  }

  /** Asks running trials to stop. */
  requestStop(key: SweepKey, seqs: readonly number[]): Promise<void> {
    return this.#run('stop trials', ops.requestStop(key, seqs));
  }

  /** Ends a trial; answers the trial after. */
  end(key: SweepKey, seq: number, state: TrialState, exitCode: number | null, now: number, progress: TrialProgress = {}): Promise<StoredTrial | undefined> {
    return this.#run('end trial', ops.endTrial(key, seq, state, exitCode, now, progress));
  }
}
