/**
 * The SQLite migration of the group tables (distributed training). Kept apart
 * from `schema.ts` so other migrations land without touching it; its version
 * leaves room below it.
 */
export const GROUP_MIGRATION = {
  version: 20,
  name: 'groups, group aggregates, rank progress',
  sql: `
CREATE TABLE groups (
  pk INTEGER PRIMARY KEY,
  entity TEXT NOT NULL,
  project TEXT NOT NULL,
  name TEXT NOT NULL,
  world_size INTEGER,
  primary_rank INTEGER NOT NULL DEFAULT 0,
  stalled_at REAL,
  created_at REAL NOT NULL,
  updated_at REAL NOT NULL,
  UNIQUE (entity, project, name)
);

-- One row per (group, key, chunk of 1000 steps): a blob of five Float64Arrays (aggregate-chunks.ts).
CREATE TABLE group_aggregates (
  group_pk INTEGER NOT NULL,
  key TEXT NOT NULL,
  chunk INTEGER NOT NULL,
  cells BLOB NOT NULL,
  PRIMARY KEY (group_pk, key, chunk)
);

CREATE TABLE rank_progress (
  run_pk INTEGER PRIMARY KEY,
  last_step INTEGER,
  last_step_at REAL,
  samples TEXT NOT NULL DEFAULT '[]',
  slow_since REAL,
  straggler INTEGER NOT NULL DEFAULT 0,
  restart_attempt INTEGER NOT NULL DEFAULT 0,
  replay_armed INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE system_metrics (
  run_pk INTEGER NOT NULL,
  at REAL NOT NULL,
  label TEXT NOT NULL,
  metrics TEXT NOT NULL
);
CREATE INDEX system_metrics_run ON system_metrics (run_pk, at);
`,
} as const;
