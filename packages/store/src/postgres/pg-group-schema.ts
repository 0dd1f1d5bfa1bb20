/**
 * The Postgres migration of the group tables (distributed training), the
 * counterpart of `sqlite/group-schema.ts` with the same version number. Kept
 * apart from `pg-schema.ts` so other migrations land without touching it.
 */
export const PG_GROUP_MIGRATION = {
  version: 20,
  name: 'groups, group aggregates, rank progress',
  sql: `
CREATE TABLE groups (
  pk BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  entity TEXT COLLATE "C" NOT NULL,
  project TEXT COLLATE "C" NOT NULL,
  name TEXT COLLATE "C" NOT NULL,
  world_size INTEGER,
  primary_rank INTEGER NOT NULL DEFAULT 0,
  stalled_at DOUBLE PRECISION,
  created_at DOUBLE PRECISION NOT NULL,
  updated_at DOUBLE PRECISION NOT NULL,
  UNIQUE (entity, project, name)
);

-- One row per (group, key, chunk of 1000 steps): a blob of five Float64Arrays (aggregate-chunks.ts).
CREATE TABLE group_aggregates (
  group_pk BIGINT NOT NULL,
  key TEXT COLLATE "C" NOT NULL,
  chunk BIGINT NOT NULL,
  cells BYTEA NOT NULL,
  PRIMARY KEY (group_pk, key, chunk)
);
ALTER TABLE group_aggregates ALTER COLUMN cells SET STORAGE EXTERNAL;

CREATE TABLE rank_progress (
  run_pk BIGINT PRIMARY KEY,
  last_step BIGINT,
  last_step_at DOUBLE PRECISION,
  samples TEXT NOT NULL DEFAULT '[]',
  slow_since DOUBLE PRECISION,
  straggler BOOLEAN NOT NULL DEFAULT false,
  restart_attempt INTEGER NOT NULL DEFAULT 0,
  replay_armed BOOLEAN NOT NULL DEFAULT false
);

CREATE TABLE system_metrics (
  run_pk BIGINT NOT NULL,
  at DOUBLE PRECISION NOT NULL,
  label TEXT NOT NULL,
  metrics TEXT NOT NULL
);
CREATE INDEX system_metrics_run ON system_metrics (run_pk, at);
`,
} as const;
