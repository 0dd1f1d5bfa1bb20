import type Database from 'better-sqlite3';
import { artifactMigration } from '../artifacts/artifact-schema.js';
import { identityMigration } from '../identity/identity-schema.js';
import { GROUP_MIGRATION } from './group-schema.js';
import { GROUP_CLAIM_MIGRATION } from './group-claim-schema.js';
import { RUN_LIST_MIGRATION } from '../run-list.js';
import { sweepMigration } from '../sweeps/sweep-schema.js';
import { blobGcMigration } from '../blobs/blob-gc-schema.js';

/**
 * Schema migrations of the SQLite store, applied in order on open and
 * recorded in `schema_migrations`. Never edit a released migration: add one.
 *
 * History is columnar: numeric cells of one key are packed per chunk as two
 * Float64Array blobs (steps, values), so a million points cost a few hundred
 * rows; non-numeric cells are one JSON row each.
 */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'runs, writers, history chunks, alerts, run events',
    sql: `
CREATE TABLE runs (
  pk INTEGER PRIMARY KEY,
  entity TEXT NOT NULL,
  project TEXT NOT NULL,
  run_id TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  exit_code INTEGER,
  run_group TEXT NOT NULL DEFAULT '',
  job_type TEXT NOT NULL DEFAULT '',
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
  start_time REAL NOT NULL,
  end_time REAL,
  heartbeat_at REAL,
  runtime REAL NOT NULL DEFAULT 0,
  runtime_base REAL NOT NULL DEFAULT 0,
  opened_at REAL NOT NULL,
  last_step INTEGER,
  applied_seq INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 0,
  sweep_id TEXT NOT NULL DEFAULT '',
  host TEXT NOT NULL DEFAULT '',
  mode TEXT NOT NULL DEFAULT '',
  forked_from TEXT NOT NULL DEFAULT '',
  resumed INTEGER NOT NULL DEFAULT 0,
  created_at REAL NOT NULL,
  updated_at REAL NOT NULL,
  UNIQUE (entity, project, run_id)
);
CREATE INDEX runs_group ON runs (entity, project, run_group);
CREATE INDEX runs_state_heartbeat ON runs (state, heartbeat_at);

CREATE TABLE run_writers (
  run_pk INTEGER NOT NULL,
  label TEXT NOT NULL,
  applied_seq INTEGER NOT NULL,
  PRIMARY KEY (run_pk, label)
) WITHOUT ROWID;

CREATE TABLE history_keys (
  run_pk INTEGER NOT NULL,
  key_id INTEGER NOT NULL,
  key TEXT NOT NULL,
  PRIMARY KEY (run_pk, key_id),
  UNIQUE (run_pk, key)
) WITHOUT ROWID;

CREATE TABLE history_chunks (
  id INTEGER PRIMARY KEY,
  run_pk INTEGER NOT NULL,
  key_id INTEGER NOT NULL,
  first_step INTEGER NOT NULL,
  last_step INTEGER NOT NULL,
  n INTEGER NOT NULL,
  steps BLOB NOT NULL,
  vals BLOB NOT NULL
);
CREATE INDEX history_chunks_range ON history_chunks (run_pk, key_id, last_step);

CREATE TABLE history_json (
  run_pk INTEGER NOT NULL,
  step INTEGER NOT NULL,
  key_id INTEGER NOT NULL,
  json TEXT NOT NULL,
  PRIMARY KEY (run_pk, step, key_id)
) WITHOUT ROWID;
CREATE INDEX history_json_key ON history_json (run_pk, key_id, step);

CREATE TABLE alerts (
  id INTEGER PRIMARY KEY,
  run_pk INTEGER NOT NULL,
  title TEXT NOT NULL,
  text TEXT NOT NULL,
  level TEXT NOT NULL,
  timestamp REAL NOT NULL,
  wait_duration_ms REAL NOT NULL,
  suppressed INTEGER NOT NULL
);
CREATE INDEX alerts_title ON alerts (title, suppressed, timestamp);
CREATE INDEX alerts_run ON alerts (run_pk, id);

CREATE TABLE run_events (
  id INTEGER PRIMARY KEY,
  run_pk INTEGER NOT NULL,
  state TEXT NOT NULL,
  at REAL NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX run_events_run ON run_events (run_pk, id);
`,
  },
  GROUP_MIGRATION,
  artifactMigration('sqlite'),
  identityMigration('sqlite'),
  GROUP_CLAIM_MIGRATION,
  RUN_LIST_MIGRATION,
  sweepMigration('sqlite'),
  blobGcMigration('sqlite'),
];

/** Applies the migrations not yet recorded, each in its own transaction. Returns the versions applied. */
export function migrate(db: Database.Database): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at REAL NOT NULL
  )`);
  const done = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version),
  );
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now() / 1000);
    })();
    applied.push(m.version);
  }
  return applied;
}
