import { CohortError } from '@cohort/protocol';
import { sql, type SqlProgram } from '../artifacts/sql-program.js';
import type { EntityKind, MemberRole, NewApiKey, StoredApiKey, StoredEntity } from './identity-types.js';

/** Digests asked about per statement (three `IN` lists of it stay under both dialects' parameter limits). */
const DIGESTS_PER_STATEMENT = 500;

const num = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));

function keyRow(r: Record<string, unknown>): StoredApiKey {
  return {
    id: String(r['id']),
    user: String(r['user_name']),
    label: String(r['label']),
    hash: String(r['hash']),
    createdAt: Number(r['created_at']),
    lastUsedAt: num(r['last_used_at']),
    revokedAt: num(r['revoked_at']),
  };
}

function* entityKind(name: string): SqlProgram<EntityKind | undefined> {
  const rows = yield sql('SELECT kind FROM entities WHERE name = ?', name);
  return rows[0] === undefined ? undefined : (String(rows[0]['kind']) as EntityKind);
}

/** Creates user `name` and its personal entity (of the same name) when missing. */
export function* ensureUser(name: string, now: number): SqlProgram<void> {
  const kind = yield* entityKind(name);
  if (kind === 'team') throw new CohortError('ALREADY_EXISTS', `user ${JSON.stringify(name)}: a team has that name; pick another user name`);
  yield sql('INSERT INTO users (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING', name, now);
  yield sql("INSERT INTO entities (name, kind, created_at) VALUES (?, 'user', ?) ON CONFLICT (name) DO NOTHING", name, now);
  yield sql("INSERT INTO memberships (entity, user_name, role) VALUES (?, ?, 'admin') ON CONFLICT (entity, user_name) DO NOTHING", name, name);
}

/** Creates team `name` when missing. */
export function* ensureTeam(name: string, now: number): SqlProgram<void> {
  const kind = yield* entityKind(name);
  if (kind === 'user') throw new CohortError('ALREADY_EXISTS', `team ${JSON.stringify(name)}: a user has that name; pick another team name`);
  yield sql("INSERT INTO entities (name, kind, created_at) VALUES (?, 'team', ?) ON CONFLICT (name) DO NOTHING", name, now);
}

/** Adds `user` to team `team` (both must exist), or changes its role. */
export function* addMember(team: string, user: string, role: MemberRole): SqlProgram<void> {
  if ((yield* entityKind(team)) !== 'team') throw new CohortError('NOT_FOUND', `team ${JSON.stringify(team)}: not found`);
  const users = yield sql('SELECT name FROM users WHERE name = ?', user);
  if (users.length === 0) throw new CohortError('NOT_FOUND', `user ${JSON.stringify(user)}: not found`);
  yield sql('INSERT INTO memberships (entity, user_name, role) VALUES (?, ?, ?) ON CONFLICT (entity, user_name) DO UPDATE SET role = excluded.role', team, user, role);
}

/** The entities `user` belongs to, its own first, then by name. */
export function* entitiesOf(user: string): SqlProgram<string[]> {
  const rows = yield sql('SELECT entity FROM memberships WHERE user_name = ? ORDER BY entity', user);
  const names = rows.map((r) => String(r['entity']));
  return names.includes(user) ? [user, ...names.filter((n) => n !== user)] : names;
}

/** Every entity, by name. */
export function* listEntities(): SqlProgram<StoredEntity[]> {
  const rows = yield sql('SELECT name, kind, created_at FROM entities ORDER BY name');
  return rows.map((r) => ({ name: String(r['name']), kind: String(r['kind']) as EntityKind, createdAt: Number(r['created_at']) }));
}

/** Records a key; its user must exist. */
export function* createKey(key: NewApiKey): SqlProgram<void> {
  const users = yield sql('SELECT name FROM users WHERE name = ?', key.user);
  if (users.length === 0) throw new CohortError('NOT_FOUND', `user ${JSON.stringify(key.user)}: not found`);
  yield sql('INSERT INTO api_keys (id, user_name, label, hash, created_at) VALUES (?, ?, ?, ?, ?)', key.id, key.user, key.label, key.hash, key.createdAt);
}

/** A key by id. */
export function* findKey(id: string): SqlProgram<StoredApiKey | undefined> {
  const rows = yield sql('SELECT * FROM api_keys WHERE id = ?', id);
  return rows[0] === undefined ? undefined : keyRow(rows[0]);
}

/** Keys, oldest first: of one user, or all. */
export function* listKeys(user: string | undefined): SqlProgram<StoredApiKey[]> {
  const rows = user === undefined ? yield sql('SELECT * FROM api_keys ORDER BY created_at, id') : yield sql('SELECT * FROM api_keys WHERE user_name = ? ORDER BY created_at, id', user);
  return rows.map(keyRow);
}

/** Revokes a key; false when there is no such key. A key revoked before keeps its first time. */
export function* revokeKey(id: string, now: number): SqlProgram<boolean> {
  const rows = yield sql('SELECT id FROM api_keys WHERE id = ?', id);
  if (rows.length === 0) return false;
  yield sql('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', now, id);
  return true;
}

/** Sets a key's `last_used_at`. */
export function* touchKey(id: string, now: number): SqlProgram<void> {
  yield sql('UPDATE api_keys SET last_used_at = ? WHERE id = ?', now, id);
}

/** Grants each entity read access to each digest. */
export function* grantBlobs(entities: readonly string[], digests: readonly string[]): SqlProgram<void> {
  for (const entity of entities) {
    for (const digest of digests) yield sql('INSERT INTO blob_grants (entity, digest) VALUES (?, ?) ON CONFLICT (entity, digest) DO NOTHING', entity, digest);
  }
}

/**
 * Which of `digests` one of `entities` may read: granted to it on upload, or
 * the uploaded content of one of its artifact versions or run files. A
 * reference entry (`ref` set) names outside content by its checksum and was
 * never checked against a grant, so its digest grants nothing
 * (docs/SECURITY.md, "Tenancy").
 */
export function* readableBlobs(entities: readonly string[], digests: readonly string[]): SqlProgram<Set<string>> {
  const out = new Set<string>();
  if (entities.length === 0) return out;
  const ent = entities.map(() => '?').join(', ');
  for (let i = 0; i < digests.length; i += DIGESTS_PER_STATEMENT) {
    const part = digests.slice(i, i + DIGESTS_PER_STATEMENT);
    const dig = part.map(() => '?').join(', ');
    const rows = yield sql(
      `SELECT digest FROM blob_grants WHERE entity IN (${ent}) AND digest IN (${dig})
       UNION SELECT f.digest FROM artifact_files f JOIN artifact_versions v ON v.pk = f.version_pk JOIN artifacts a ON a.pk = v.artifact_pk
         WHERE a.entity IN (${ent}) AND f.ref = '' AND f.digest IN (${dig})
       UNION SELECT rf.digest FROM run_files rf JOIN runs r ON r.pk = rf.run_pk WHERE r.entity IN (${ent}) AND rf.digest IN (${dig})`,
      ...entities,
      ...part,
      ...entities,
      ...part,
      ...entities,
      ...part,
    );
    for (const r of rows) out.add(String(r['digest']));
  }
  return out;
}

/** The secret named `name`, stored as `fresh` on first use; every process sharing the store reads the same one. */
export function* serverSecret(name: string, fresh: string): SqlProgram<string> {
  yield sql('INSERT INTO server_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING', name, fresh);
  const rows = yield sql('SELECT value FROM server_secrets WHERE name = ?', name);
  return String(rows[0]!['value']);
}
