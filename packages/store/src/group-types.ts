/**
 * Domain types of training groups: the group registry, the per-(key, step)
 * aggregates across ranks, and each rank's progress (for stragglers, hangs
 * and torchelastic restarts).
 */
import type { StepRange } from './types.js';

/** Names one group: `entity/project/group`. */
export interface GroupKey {
  entity: string;
  project: string;
  group: string;
}

/** A group in the registry. Members are the runs with its `entity/project/group`. */
export interface StoredGroup extends GroupKey {
  /** The world size the group expects (the largest a member announced), `null` when none did. */
  worldSize: number | null;
  /** The rank whose run is the group's primary. @defaultValue 0 */
  primaryRank: number;
  /** When the group was flagged stalled (seconds since the epoch), `null` when it is not. */
  stalledAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** What a member announces when it opens: the registry keeps the largest world size and a primary given explicitly. */
export interface GroupAnnounce {
  worldSize: number | null;
  /** The rank that declared itself primary, `null` when this member did not. */
  primaryRank: number | null;
}

/** A partial update of a group. */
export interface GroupPatch {
  stalledAt?: number | null;
}

/** Filters of {@link GroupStore.listGroups}. */
export interface GroupFilter {
  entity?: string;
  project?: string;
  /** Only groups with a member still `running` or `preempting`. */
  active?: boolean;
}

/** Aggregate of one metric at one step over the ranks that logged it (finite numbers only). */
export interface AggregateCell {
  key: string;
  step: number;
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** A read of group aggregates. */
export interface AggregateQuery extends StepRange {
  keys?: readonly string[];
  /** The most cells to return. */
  limit?: number;
}

/**
 * The progress of one rank's run, kept by the engine. `samples` is a flat
 * list `[at0, step0, at1, step1, ...]` (server clock, ascending) from which
 * step rates over a window are computed.
 */
export interface RankProgress {
  lastStep: number | null;
  /** When the last new step was applied (server clock, seconds since the epoch). */
  lastStepAt: number | null;
  samples: number[];
  /** Since when the rank has been slower than the straggler threshold, `null` when it is not. */
  slowSince: number | null;
  straggler: boolean;
  /** The restart attempt the run's current process announced (torchelastic's `TORCHELASTIC_RESTART_COUNT`). */
  restartAttempt: number;
  /** Set when a later restart attempt opened the run: its first logged rows may replay steps, which then rewind the run. */
  replayArmed: boolean;
}

/** A run's progress with its run. */
export interface StoredRankProgress extends RankProgress {
  runPk: number;
}

/** One sample of a process's system metrics (`system/...` names to values). */
export interface SystemSample {
  /** Seconds since the epoch (the sender's clock). */
  at: number;
  /** Who measured: `rank <r>@<node>`, the host, or a shared-mode label. */
  label: string;
  metrics: Record<string, number>;
}

/** Keys that are aggregated across ranks: user metrics, not the automatic `_step`, `_runtime`, `_timestamp`. */
export function isAggregatedKey(key: string): boolean {
  return !key.startsWith('_');
}
