import type { GroupHistoryRow, GroupState, GroupView } from '@cohort/protocol';
import type { AggregateCell, RankProgress, RunState, StoredGroup, StoredRun } from '@cohort/store';

/** A group's state, a member (rank) with its progress, a group, and a row of its aggregate history: the HTTP API's shapes (@cohort/protocol, http/groups.ts). */
export type { GroupHistoryRow, GroupMemberView, GroupState, GroupView } from '@cohort/protocol';

const LIVE: ReadonlySet<RunState> = new Set(['running', 'preempting']);

/**
 * Steps per second from progress samples: from the newest sample at or before
 * `now - window` (else the oldest) to the last step at `now`, so a rank that
 * stopped slows down as time passes.
 */
export function stepRate(p: RankProgress, now: number, windowSeconds: number): number | null {
  const s = p.samples;
  if (p.lastStep === null || s.length < 2) return null;
  let i = 0;
  for (let k = 0; k < s.length; k += 2) if (s[k]! <= now - windowSeconds) i = k;
  const t0 = s[i]!;
  const step0 = s[i + 1]!;
  const dt = now - t0;
  if (dt <= 0) return null;
  return Math.max(0, (p.lastStep - step0) / dt);
}

/** The group's state from its members' (and its stall flag). */
export function deriveGroupState(members: readonly StoredRun[], stalledAt: number | null): GroupState {
  if (members.length === 0) return 'pending';
  const states = members.map((m) => m.state);
  if (states.some((s) => LIVE.has(s))) {
    if (stalledAt !== null) return 'stalled';
    return states.some((s) => s === 'crashed' || s === 'failed') ? 'degraded' : 'running';
  }
  for (const s of ['failed', 'crashed', 'preempted', 'killed', 'stopped'] as const) if (states.includes(s)) return s;
  return 'finished';
}

/** Builds the view of a group from the registry, its members and their progress. */
export function toGroupView(
  g: StoredGroup,
  members: readonly StoredRun[],
  progress: ReadonlyMap<number, RankProgress>,
  now: number,
  rateWindowSeconds: number,
): GroupView {
  const sorted = [...members].sort((a, b) => (a.rank ?? Number.MAX_SAFE_INTEGER) - (b.rank ?? Number.MAX_SAFE_INTEGER) || a.pk - b.pk);
  const worldSize = Math.max(g.worldSize ?? 0, ...members.map((m) => m.worldSize ?? 0), members.length);
  const primary = sorted.find((m) => m.rank === g.primaryRank);
  return {
    entity: g.entity,
    project: g.project,
    group: g.group,
    worldSize,
    primaryRank: g.primaryRank,
    primaryRunId: primary?.runId ?? null,
    state: deriveGroupState(members, g.stalledAt),
    stalledAt: g.stalledAt,
    members: sorted.map((m) => {
      const p = progress.get(m.pk);
      const live = LIVE.has(m.state);
      return {
        runId: m.runId,
        name: m.name,
        rank: m.rank,
        localRank: m.localRank,
        node: m.node,
        state: m.state,
        heartbeatAt: m.heartbeatAt,
        endedAt: live ? null : m.endTime,
        lastStep: m.lastStep,
        lastStepAt: p?.lastStepAt ?? null,
        stepRate: p && live ? stepRate(p, now, rateWindowSeconds) : null,
        secondsSinceLastStep: p?.lastStepAt != null ? Math.max(0, now - p.lastStepAt) : null,
        straggler: p?.straggler ?? false,
        restartAttempt: p?.restartAttempt ?? 0,
        resumed: m.resumed,
      };
    }),
  };
}

/** Aggregate cells (by key, then step) as rows by step: `{ _step, key: { mean, min, max, count } }`. */
export function cellsToRows(cells: readonly AggregateCell[]): GroupHistoryRow[] {
  const bySteps = new Map<number, GroupHistoryRow>();
  for (const c of cells) {
    let row = bySteps.get(c.step);
    if (!row) {
      row = { _step: c.step } as GroupHistoryRow;
      bySteps.set(c.step, row);
    }
    (row as Record<string, unknown>)[c.key] = { mean: c.sum / c.count, min: c.min, max: c.max, count: c.count };
  }
  return [...bySteps.values()].sort((a, b) => a._step - b._step);
}
