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

/**
 * Aggregate of one metric at one step over the ranks that logged it. As a
 * write it is a delta merged into the stored cell (counts and sums add,
 * min/max widen). Only finite numbers count.
 */
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

/**
 * Adds a numeric series of one run into `cells` (keyed by `key` then step):
 * one count per finite value. The rebuild after a rewind and the engine's
 * per-batch deltas both use it, so they cannot disagree.
 */
export function addSeriesToCells(cells: Map<string, Map<number, AggregateCell>>, key: string, steps: ArrayLike<number>, values: ArrayLike<number>): void {
  if (!isAggregatedKey(key)) return;
  let byStep = cells.get(key);
  for (let i = 0; i < steps.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    const step = steps[i]!;
    byStep ??= new Map();
    const c = byStep.get(step);
    if (c) {
      c.count++;
      c.sum += v;
      if (v < c.min) c.min = v;
      if (v > c.max) c.max = v;
    } else {
      byStep.set(step, { key, step, count: 1, sum: v, min: v, max: v });
    }
  }
  if (byStep && !cells.has(key)) cells.set(key, byStep);
}

/** The cells of {@link addSeriesToCells}, flattened. */
export function flattenCells(cells: Map<string, Map<number, AggregateCell>>): AggregateCell[] {
  const out: AggregateCell[] = [];
  for (const byStep of cells.values()) for (const c of byStep.values()) out.push(c);
  return out;
}
