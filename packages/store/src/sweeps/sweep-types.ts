/** What a sweep is doing (docs/sweeps.md): only a `running` sweep hands out trials. */
export type SweepState = 'running' | 'paused' | 'stopped' | 'canceled' | 'finished';

/** What a trial is doing: `running` from the moment one agent took it. */
export type TrialState = 'running' | 'finished' | 'failed' | 'crashed' | 'stopped' | 'killed';

/** Names one sweep. */
export interface SweepKey {
  entity: string;
  project: string;
  id: string;
}

/** A stored sweep. The store never interprets `configJson`. */
export interface StoredSweep extends SweepKey {
  configJson: string;
  state: SweepState;
  /** Seconds since the epoch. */
  createdAt: number;
  updatedAt: number;
}

/** A stored trial: one suggestion, run by one agent as one run group. */
export interface StoredTrial {
  /** `<sweep id>-<seq>`, also the name of the trial's run group. */
  id: string;
  seq: number;
  /** JSON object of the suggested parameters. */
  paramsJson: string;
  state: TrialState;
  agent: string;
  /** Set when the sweep decided the trial should stop (early termination, cancel); the agent learns it on its heartbeat. */
  stopRequested: boolean;
  metric: number | null;
  /** JSON array of `{ step, value }` of the metric (hyperband reads it); '' before any. */
  historyJson: string;
  exitCode: number | null;
  /** Seconds without a heartbeat after which the trial counts as crashed. */
  timeoutSeconds: number;
  startedAt: number;
  heartbeatAt: number;
  endedAt: number | null;
}

/** Who asks for a new trial. */
export interface NewTrial {
  agent: string;
  timeoutSeconds: number;
}

/** What `next` answers: a trial the caller now holds, or why there is none. */
export type NextTrial = { trial: StoredTrial } | { none: 'done' | 'paused' | 'stopped' | 'waiting' };

/** A change to a trial's measured progress. */
export interface TrialProgress {
  metric?: number | null;
  historyJson?: string;
}
