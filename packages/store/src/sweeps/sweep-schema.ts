/**
 * The tables of sweeps and their trials (docs/sweeps.md), for SQLite and
 * Postgres; one text so the two never drift (as `identityMigration`). A trial
 * is one row per suggestion: its `seq` is unique in the sweep, so a
 * suggestion goes to exactly one agent.
 */
export function sweepMigration(dialect: 'sqlite' | 'postgres'): { version: number; name: string; sql: string } {
  const real = dialect === 'sqlite' ? 'REAL' : 'DOUBLE PRECISION';
  const text = dialect === 'sqlite' ? 'TEXT' : 'TEXT COLLATE "C"';
  return {
    version: 90,
    name: 'sweeps and their trials',
    sql: `
CREATE TABLE sweeps (
  entity ${text} NOT NULL,
  project ${text} NOT NULL,
  id ${text} NOT NULL,
  config_json TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at ${real} NOT NULL,
  updated_at ${real} NOT NULL,
  PRIMARY KEY (entity, project, id)
);
CREATE TABLE sweep_trials (
  entity ${text} NOT NULL,
  project ${text} NOT NULL,
  sweep_id ${text} NOT NULL,
  seq INTEGER NOT NULL,
  id ${text} NOT NULL,
  params_json TEXT NOT NULL,
  state TEXT NOT NULL,
  agent ${text} NOT NULL,
  stop_requested INTEGER NOT NULL DEFAULT 0,
  metric ${real},
  history_json TEXT NOT NULL DEFAULT '',
  exit_code INTEGER,
  timeout_s ${real} NOT NULL,
  started_at ${real} NOT NULL,
  heartbeat_at ${real} NOT NULL,
  ended_at ${real},
  PRIMARY KEY (entity, project, sweep_id, seq)
);
`,
  };
}
