/**
 * The tables of artifacts, run files and alert deliveries, for SQLite
 * (`dialect: 'sqlite'`) and Postgres. One text so the two never drift; the
 * version leaves room below it for other migrations.
 */
export function artifactMigration(dialect: 'sqlite' | 'postgres'): { version: number; name: string; sql: string } {
  const id = dialect === 'sqlite' ? 'INTEGER PRIMARY KEY' : 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY';
  const int = dialect === 'sqlite' ? 'INTEGER' : 'BIGINT';
  const real = dialect === 'sqlite' ? 'REAL' : 'DOUBLE PRECISION';
  const text = dialect === 'sqlite' ? 'TEXT' : 'TEXT COLLATE "C"';
  return {
    version: 40,
    name: 'artifacts, run files, alert deliveries, console lines',
    sql: `
CREATE TABLE artifacts (
  pk ${id},
  entity ${text} NOT NULL,
  project ${text} NOT NULL,
  name ${text} NOT NULL,
  type TEXT NOT NULL,
  created_at ${real} NOT NULL,
  UNIQUE (entity, project, name)
);
CREATE TABLE artifact_versions (
  pk ${id},
  artifact_pk ${int} NOT NULL,
  idx ${int},
  state TEXT NOT NULL,
  digest TEXT NOT NULL DEFAULT '',
  distributed_id TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  metadata TEXT NOT NULL DEFAULT '{}',
  tags TEXT NOT NULL DEFAULT '[]',
  pending_aliases TEXT NOT NULL DEFAULT '[]',
  size ${int} NOT NULL DEFAULT 0,
  file_count ${int} NOT NULL DEFAULT 0,
  logged_by_run_pk ${int},
  source_version_pk ${int},
  created_at ${real} NOT NULL,
  committed_at ${real},
  UNIQUE (artifact_pk, idx)
);
CREATE UNIQUE INDEX artifact_versions_pending ON artifact_versions (artifact_pk, distributed_id) WHERE state = 'PENDING';
CREATE INDEX artifact_versions_digest ON artifact_versions (artifact_pk, digest);
CREATE INDEX artifact_versions_logged_by ON artifact_versions (logged_by_run_pk);
CREATE TABLE artifact_files (
  version_pk ${int} NOT NULL,
  path ${text} NOT NULL,
  digest TEXT NOT NULL,
  size ${int} NOT NULL,
  ref TEXT NOT NULL,
  writer TEXT NOT NULL,
  PRIMARY KEY (version_pk, path)
);
CREATE TABLE artifact_writers (
  version_pk ${int} NOT NULL,
  writer TEXT NOT NULL,
  PRIMARY KEY (version_pk, writer)
);
CREATE TABLE artifact_aliases (
  artifact_pk ${int} NOT NULL,
  alias ${text} NOT NULL,
  version_pk ${int} NOT NULL,
  PRIMARY KEY (artifact_pk, alias)
);
CREATE INDEX artifact_aliases_version ON artifact_aliases (version_pk);
CREATE TABLE artifact_usage (
  version_pk ${int} NOT NULL,
  run_pk ${int} NOT NULL,
  use_as TEXT NOT NULL,
  at ${real} NOT NULL,
  PRIMARY KEY (version_pk, run_pk)
);
CREATE INDEX artifact_usage_run ON artifact_usage (run_pk);
CREATE TABLE run_files (
  run_pk ${int} NOT NULL,
  path ${text} NOT NULL,
  digest TEXT NOT NULL,
  size ${int} NOT NULL,
  updated_at ${real} NOT NULL,
  PRIMARY KEY (run_pk, path)
);
CREATE TABLE alert_deliveries (
  alert_id ${int} NOT NULL,
  sink TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts ${int} NOT NULL,
  last_error TEXT NOT NULL,
  claimed_until ${real} NOT NULL,
  updated_at ${real} NOT NULL,
  PRIMARY KEY (alert_id, sink)
);
CREATE INDEX alert_deliveries_state ON alert_deliveries (state, updated_at);
CREATE TABLE console_lines (
  id ${id},
  run_pk ${int} NOT NULL,
  at ${real} NOT NULL,
  stream TEXT NOT NULL,
  label TEXT NOT NULL,
  line TEXT NOT NULL
);
CREATE INDEX console_lines_run ON console_lines (run_pk, id);
`,
  };
}
