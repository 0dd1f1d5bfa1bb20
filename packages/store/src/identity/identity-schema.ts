/**
 * The tables of users, entities, memberships, API keys and blob grants, for
 * SQLite and Postgres. One text so the two never drift (as `artifactMigration`).
 * Blob grants record which entities may read a content-addressed blob they
 * uploaded; the digest indexes let the references of artifacts and run files
 * count as grants too.
 */
export function identityMigration(dialect: 'sqlite' | 'postgres'): { version: number; name: string; sql: string } {
  const real = dialect === 'sqlite' ? 'REAL' : 'DOUBLE PRECISION';
  const text = dialect === 'sqlite' ? 'TEXT' : 'TEXT COLLATE "C"';
  return {
    version: 50,
    name: 'users, entities, memberships, api keys, blob grants',
    sql: `
CREATE TABLE users (
  name ${text} PRIMARY KEY,
  created_at ${real} NOT NULL
);
CREATE TABLE entities (
  name ${text} PRIMARY KEY,
  kind TEXT NOT NULL,
  created_at ${real} NOT NULL
);
CREATE TABLE memberships (
  entity ${text} NOT NULL,
  user_name ${text} NOT NULL,
  role TEXT NOT NULL,
  PRIMARY KEY (entity, user_name)
);
CREATE INDEX memberships_user ON memberships (user_name);
CREATE TABLE api_keys (
  id ${text} PRIMARY KEY,
  user_name ${text} NOT NULL,
  label TEXT NOT NULL,
  hash TEXT NOT NULL,
  created_at ${real} NOT NULL,
  last_used_at ${real},
  revoked_at ${real}
);
CREATE INDEX api_keys_user ON api_keys (user_name);
CREATE TABLE blob_grants (
  entity ${text} NOT NULL,
  digest ${text} NOT NULL,
  PRIMARY KEY (entity, digest)
);
CREATE INDEX artifact_files_digest ON artifact_files (digest);
CREATE INDEX run_files_digest ON run_files (digest);
CREATE TABLE server_secrets (
  name ${text} PRIMARY KEY,
  value TEXT NOT NULL
);
`,
  };
}
