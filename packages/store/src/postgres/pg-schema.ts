import type pg from 'pg';
import { artifactMigration } from '../artifacts/artifact-schema.js';
import { identityMigration } from '../identity/identity-schema.js';
import { PG_GROUP_MIGRATION } from './pg-group-schema.js';
import { PG_GROUP_CLAIM_MIGRATION } from './pg-group-claims.js';
import { PG_COMPACTION_MIGRATION } from './pg-compaction.js';
import { PG_KEY_INDEX_MIGRATION } from './pg-key-index.js';
import { RUN_LIST_MIGRATION } from '../run-list.js';
import { sweepMigration } from '../sweeps/sweep-schema.js';
import { blobGcMigration } from '../blobs/blob-gc-schema.js';
import { PG_HISTORY_PARTITION_MIGRATION } from './pg-history-partitions.js';

/**
 * Schema migrations of the Postgres store, applied in order on open and
 * recorded in `schema_migrations`. Never edit a released migration: add one.
 *
 * The logical schema is the SQLite store's (`sqlite/schema.ts`): columnar
 * numeric history as BYTEA pairs of little-endian Float64Arrays per chunk,
 * one JSON row per non-numeric cell. Differences, on purpose:
 * - name-like text columns are `COLLATE "C"`, so ordering and equality are
 *   bytewise like SQLite's whatever the database's locale is;
 * - chunk blobs are `STORAGE EXTERNAL`: packed doubles barely compress, so
 *   TOAST compression would cost CPU on every write for nothing;
 * - steps, seqs, versions and ids are BIGINT (read back as JS numbers: the
 *   store's type parser), times DOUBLE PRECISION, flags BOOLEAN.
 * - the history tables are partitioned by hash of run (migration 110,
 *   pg-history-partitions.ts), so a run's statements touch one partition.
 */
export const POSTGRES_MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'runs, writers, history chunks, alerts, run events',
    sql: `
CREATE TABLE runs (
  pk BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  entity TEXT COLLATE "C" NOT NULL,
  project TEXT COLLATE "C" NOT NULL,
  run_id TEXT COLLATE "C" NOT NULL,
  name TEXT COLLATE "C" NOT NULL DEFAULT '',
  state TEXT COLLATE "C" NOT NULL,
  exit_code INTEGER,
  run_group TEXT COLLATE "C" NOT NULL DEFAULT '',
  job_type TEXT COLLATE "C" NOT NULL DEFAULT '',
  rank INTEGER,
  world_size INTEGER,
  local_rank INTEGER,
  node TEXT NOT NULL DEFAULT '',
  tags TEXT NOT NULL DEFAULT '[]',
  notes TEXT NOT NULL DEFAULT '',
  config TEXT NOT NULL DEFAULT '{}',
  summary TEXT NOT NULL DEFAULT '{}',
  summary_state TEXT NOT NULL DEFAULT '',
  metrics TEXT NOT NULL DEFAULT '[]',
  start_time DOUBLE PRECISION NOT NULL,
  end_time DOUBLE PRECISION,
  heartbeat_at DOUBLE PRECISION,
  runtime DOUBLE PRECISION NOT NULL DEFAULT 0,
  runtime_base DOUBLE PRECISION NOT NULL DEFAULT 0,
  opened_at DOUBLE PRECISION NOT NULL,
  last_step BIGINT,
  applied_seq BIGINT NOT NULL DEFAULT 0,
  version BIGINT NOT NULL DEFAULT 0,
  sweep_id TEXT NOT NULL DEFAULT '',
  host TEXT NOT NULL DEFAULT '',
  mode TEXT NOT NULL DEFAULT '',
  forked_from TEXT NOT NULL DEFAULT '',
  resumed BOOLEAN NOT NULL DEFAULT false,
  created_at DOUBLE PRECISION NOT NULL,
  updated_at DOUBLE PRECISION NOT NULL,
  UNIQUE (entity, project, run_id)
);
CREATE INDEX runs_group ON runs (entity, project, run_group);
CREATE INDEX runs_state_heartbeat ON runs (state, heartbeat_at);

CREATE TABLE run_writers (
  run_pk BIGINT NOT NULL,
  label TEXT COLLATE "C" NOT NULL,
  applied_seq BIGINT NOT NULL,
  PRIMARY KEY (run_pk, label)
);

CREATE TABLE history_keys (
  run_pk BIGINT NOT NULL,
  key_id INTEGER NOT NULL,
  key TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (run_pk, key_id),
  UNIQUE (run_pk, key)
);

CREATE TABLE history_chunks (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_pk BIGINT NOT NULL,
  key_id INTEGER NOT NULL,
  first_step BIGINT NOT NULL,
  last_step BIGINT NOT NULL,
  n INTEGER NOT NULL,
  steps BYTEA NOT NULL,
  vals BYTEA NOT NULL
);
ALTER TABLE history_chunks ALTER COLUMN steps SET STORAGE EXTERNAL, ALTER COLUMN vals SET STORAGE EXTERNAL;
CREATE INDEX history_chunks_range ON history_chunks (run_pk, key_id, last_step);

CREATE TABLE history_json (
  run_pk BIGINT NOT NULL,
  step BIGINT NOT NULL,
  key_id INTEGER NOT NULL,
  json TEXT NOT NULL,
  PRIMARY KEY (run_pk, step, key_id)
);
CREATE INDEX history_json_key ON history_json (run_pk, key_id, step);

CREATE TABLE alerts (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_pk BIGINT NOT NULL,
  title TEXT COLLATE "C" NOT NULL,
  text TEXT NOT NULL,
  level TEXT NOT NULL,
  timestamp DOUBLE PRECISION NOT NULL,
  wait_duration_ms DOUBLE PRECISION NOT NULL,
  suppressed BOOLEAN NOT NULL
);
CREATE INDEX alerts_title ON alerts (title, suppressed, timestamp);
CREATE INDEX alerts_run ON alerts (run_pk, id);

CREATE TABLE run_events (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_pk BIGINT NOT NULL,
  state TEXT NOT NULL,
  at DOUBLE PRECISION NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX run_events_run ON run_events (run_pk, id);
`,
  },
  PG_GROUP_MIGRATION,
  artifactMigration('postgres'),
  identityMigration('postgres'),
  PG_COMPACTION_MIGRATION,
  PG_KEY_INDEX_MIGRATION,
  PG_GROUP_CLAIM_MIGRATION,
  RUN_LIST_MIGRATION,
  sweepMigration('postgres'),
  blobGcMigration('postgres'),
  PG_HISTORY_PARTITION_MIGRATION,
];

/** First key of the migration advisory lock ("Coh"); the second is the schema's hash. */
const MIGRATION_LOCK_CLASS = 0x436f68;

/** A schema name the store accepts: a plain lower-case identifier, so it never needs quoting rules beyond `"..."`. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Applies the migrations not yet recorded, all in one transaction that first
 * takes a transaction-scoped advisory lock: coordinators and workers that
 * start together wait for the first one instead of racing it (even
 * `CREATE TABLE IF NOT EXISTS` can fail under a race). `schema`, when given,
 * is created if missing; the client's `search_path` must already name it.
 * Returns the versions applied.
 */
export async function migratePostgres(client: pg.ClientBase, schema?: string): Promise<number[]> {
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new Error(`migratePostgres: schema must match ${SCHEMA_NAME}, got ${JSON.stringify(schema)}`);
  }
  await client.query('BEGIN');
  try {
    await client.query("SELECT pg_advisory_xact_lock($1, hashtext(coalesce($2, current_schema(), '')))", [
      MIGRATION_LOCK_CLASS,
      schema ?? null,
    ]);
    if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at DOUBLE PRECISION NOT NULL
    )`);
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of POSTGRES_MIGRATIONS) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now() / 1000]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
