import { MAX_ALERT_TITLE_LENGTH } from '@cohort/protocol';
import type { NewAlert, RankProgress, StoredGroup, StoredRun } from '@cohort/store';
import { stepRate } from './group-view.js';

/** Thresholds of {@link Engine.checkGroups}. */
export interface GroupCheckOptions {
  /** A rank slower than this fraction of the group's median step rate is slow. @defaultValue 0.7 */
  stragglerFraction?: number;
  /** Seconds a rank must stay slow to be flagged a straggler. @defaultValue 60 */
  stragglerSeconds?: number;
  /** Seconds without a new step on every live rank (still heartbeating) after which the group is stalled. @defaultValue 300 */
  stallSeconds?: number;
  /** The window step rates are measured over. @defaultValue 30 */
  rateWindowSeconds?: number;
}

/** {@link GroupCheckOptions} with defaults. */
export interface ResolvedGroupCheckOptions {
  stragglerFraction: number;
  stragglerSeconds: number;
  stallSeconds: number;
  rateWindowSeconds: number;
}

/** What one check found and flagged. */
export interface GroupCheckReport {
  /** Groups checked (those with a live member). */
  groups: number;
  /** Ranks newly flagged stragglers. */
  stragglers: Array<{ entity: string; project: string; group: string; runId: string; rank: number | null; stepRate: number; medianRate: number }>;
  /** Ranks that are no longer stragglers. */
  recovered: Array<{ entity: string; project: string; group: string; runId: string; rank: number | null }>;
  /** Groups newly flagged stalled. */
  stalled: Array<{ entity: string; project: string; group: string; since: number }>;
  /** Groups that stepped again after a stall. */
  unstalled: Array<{ entity: string; project: string; group: string }>;
}

/** Fills defaults and checks the thresholds; a bad one is a `TypeError` naming it. */
export function resolveGroupCheckOptions(o: GroupCheckOptions = {}): ResolvedGroupCheckOptions {
  const pick = (name: keyof GroupCheckOptions, fallback: number, max = Infinity): number => {
    const v = o[name] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > max) {
      throw new TypeError(`Expected \`${name}\` to be a number above 0${max < Infinity ? ` and at most ${max}` : ''}, got \`${String(v)}\` (${typeof v})`);
    }
    return v;
  };
  return {
    stragglerFraction: pick('stragglerFraction', 0.7, 1),
    stragglerSeconds: pick('stragglerSeconds', 60),
    stallSeconds: pick('stallSeconds', 300),
    rateWindowSeconds: pick('rateWindowSeconds', 30),
  };
}

/** What to change for one group: progress flags per run, the stall flag, alerts per run. */
export interface GroupDecision {
  flags: Array<{ run: StoredRun; patch: Partial<RankProgress> }>;
  stalledAt: number | null | undefined;
  alerts: Array<{ run: StoredRun; alert: NewAlert }>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function rankName(run: StoredRun): string {
  return run.rank === null ? `run ${run.runId}` : `rank ${run.rank}`;
}

/**
 * Decides stragglers and stalls of one group (pure): a live rank whose step
 * rate stays below `stragglerFraction` of the live ranks' median for
 * `stragglerSeconds` is a straggler; a group whose live ranks all made no new
 * step for `stallSeconds` (the watcher already turned silent ones crashed, so
 * live ones are heartbeating) is stalled. Each newly raised flag comes with an
 * alert on the rank's run (a straggler) or the primary's (a stall).
 */
export function decideGroup(
  g: StoredGroup,
  members: readonly StoredRun[],
  progress: ReadonlyMap<number, RankProgress>,
  now: number,
  o: ResolvedGroupCheckOptions,
  report: GroupCheckReport,
): GroupDecision {
  const decision: GroupDecision = { flags: [], stalledAt: undefined, alerts: [] };
  const live = members.filter((m) => m.state === 'running' || m.state === 'preempting');
  if (live.length === 0) return decision;
  const where = { entity: g.entity, project: g.project, group: g.group };
  const primary = live.find((m) => m.rank === g.primaryRank) ?? live[0]!;

  // Stragglers: need at least two ranks with a measurable rate to have a median worth comparing to.
  const rates = new Map<number, number>();
  for (const m of live) {
    const p = progress.get(m.pk);
    const r = p ? stepRate(p, now, o.rateWindowSeconds) : null;
    if (r !== null) rates.set(m.pk, r);
  }
  const med = rates.size >= 2 ? median([...rates.values()]) : 0;
  for (const m of live) {
    const p = progress.get(m.pk);
    if (!p) continue;
    const r = rates.get(m.pk);
    const slow = med > 0 && r !== undefined && r < o.stragglerFraction * med;
    if (slow) {
      const since = p.slowSince ?? now;
      const straggler = now - since >= o.stragglerSeconds;
      if (p.slowSince === null || straggler !== p.straggler) decision.flags.push({ run: m, patch: { slowSince: since, straggler } });
      if (straggler && !p.straggler) {
        report.stragglers.push({ ...where, runId: m.runId, rank: m.rank, stepRate: r, medianRate: med });
        decision.alerts.push({
          run: m,
          alert: alert(
            `Straggler: ${rankName(m)} of ${g.group}`,
            `${rankName(m)} (run ${m.runId} on ${m.node || 'an unknown node'}) has stepped at ${r.toFixed(3)} steps/s, below ${Math.round(o.stragglerFraction * 100)}% of the group's median ${med.toFixed(3)} steps/s, for ${Math.round(now - since)} s.`,
            'WARN',
            now,
          ),
        });
      }
    } else if (p.slowSince !== null || p.straggler) {
      decision.flags.push({ run: m, patch: { slowSince: null, straggler: false } });
      if (p.straggler) report.recovered.push({ ...where, runId: m.runId, rank: m.rank });
    }
  }

  // Stall: every live rank has gone `stallSeconds` without a new step.
  const lastAdvance = (m: StoredRun): number => progress.get(m.pk)?.lastStepAt ?? m.openedAt;
  const newest = Math.max(...live.map(lastAdvance));
  const stalled = now - newest >= o.stallSeconds;
  if (stalled && g.stalledAt === null) {
    decision.stalledAt = now;
    report.stalled.push({ ...where, since: newest });
    decision.alerts.push({
      run: primary,
      alert: alert(
        `Stalled: group ${g.group}`,
        `No rank of group ${g.group} (${live.length} live) has logged a new step for ${Math.round(now - newest)} s while still heartbeating: a hung collective? Ranks: ${live
          .map((m) => `${rankName(m)} at step ${m.lastStep ?? '-'}`)
          .join(', ')}.`,
        'ERROR',
        now,
      ),
    });
  } else if (!stalled && g.stalledAt !== null) {
    decision.stalledAt = null;
    report.unstalled.push(where);
  }
  return decision;
}

function alert(title: string, text: string, level: string, now: number): NewAlert {
  return { title: title.length > MAX_ALERT_TITLE_LENGTH ? `${title.slice(0, MAX_ALERT_TITLE_LENGTH - 1)}…` : title, text, level, timestamp: now, waitDurationMs: 60_000, suppressed: false };
}
