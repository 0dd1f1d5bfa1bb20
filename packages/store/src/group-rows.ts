import type { RankProgress, StoredGroup } from './group-types.js';
import { NUMBER_ARRAY, readStoredJson } from './stored-json.js';

/** Most cells one aggregate read returns when the caller names no limit. */
export const DEFAULT_AGGREGATE_LIMIT = 1_000_000;

/** A `groups` row as both stores read it. */
export interface GroupRow {
  pk: number;
  entity: string;
  project: string;
  name: string;
  world_size: number | null;
  primary_rank: number;
  stalled_at: number | null;
  created_at: number;
  updated_at: number;
}

/** A `rank_progress` row as both stores read it (SQLite stores flags as 0/1, Postgres as booleans; Postgres BIGINT steps may come back as strings). */
export interface ProgressRow {
  run_pk: number;
  last_step: number | string | null;
  last_step_at: number | null;
  samples: string;
  slow_since: number | null;
  straggler: number | boolean;
  restart_attempt: number;
  replay_armed: number | boolean;
}

/** The column of each {@link RankProgress} field. */
export const PROGRESS_COLUMNS: { readonly [K in keyof RankProgress]-?: string } = {
  lastStep: 'last_step',
  lastStepAt: 'last_step_at',
  samples: 'samples',
  slowSince: 'slow_since',
  straggler: 'straggler',
  restartAttempt: 'restart_attempt',
  replayArmed: 'replay_armed',
};

/** The stored group of a `groups` row. */
export function groupFromRow(r: GroupRow): StoredGroup {
  return {
    entity: r.entity,
    project: r.project,
    group: r.name,
    worldSize: r.world_size,
    primaryRank: r.primary_rank,
    stalledAt: r.stalled_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The rank progress of a `rank_progress` row. */
export function progressFromRow(r: ProgressRow): RankProgress {
  return {
    lastStep: r.last_step === null ? null : Number(r.last_step),
    lastStepAt: r.last_step_at,
    samples: readStoredJson(r.samples, NUMBER_ARRAY, `rank progress of run ${r.run_pk}: column samples`),
    slowSince: r.slow_since,
    straggler: Boolean(r.straggler),
    restartAttempt: r.restart_attempt,
    replayArmed: Boolean(r.replay_armed),
  };
}
