import { CohortError, LATEST_ALIAS, manifestDigest, parseVersionName } from '@cohort/protocol';
import type {
  ArtifactKey,
  ArtifactUse,
  ClaimedAlert,
  SaveArtifactInput,
  StoredAlertDelivery,
  StoredArtifactVersion,
  StoredManifestEntry,
  StoredRunFile,
  StoredConsoleLine,
} from './artifact-types.js';
import { pgOnly, sql, type SqlProgram } from './sql-program.js';
import { STRING_ARRAY, readStoredJson } from '../stored-json.js';

/**
 * The artifact, run-file and alert-delivery operations of both SQL stores,
 * written once as {@link SqlProgram}s (see `sql-program.ts`). Each runs in
 * one transaction, so a version number, an alias move or a commit is all or
 * nothing, and in Postgres the artifact row is locked (`FOR UPDATE`) so
 * coordinators saving one artifact at once take turns.
 */

interface VersionRow {
  pk: number;
  artifact_pk: number;
  entity: string;
  project: string;
  name: string;
  type: string;
  idx: number | null;
  state: string;
  digest: string;
  distributed_id: string;
  description: string;
  metadata: string;
  tags: string;
  pending_aliases: string;
  size: number;
  file_count: number;
  logged_by_run_pk: number | null;
  source_version_pk: number | null;
  created_at: number;
  committed_at: number | null;
}

const VERSION_SELECT = `SELECT v.*, a.entity, a.project, a.name, a.type FROM artifact_versions v JOIN artifacts a ON a.pk = v.artifact_pk`;

function* aliasesOf(versionPk: number): SqlProgram<string[]> {
  const rows = yield sql('SELECT alias FROM artifact_aliases WHERE version_pk = ? ORDER BY alias', versionPk);
  return rows.map((r) => String(r['alias']));
}

/** How a version row is named in errors: its artifact, and its index or pk. */
function versionName(row: VersionRow): string {
  return `artifact ${row.entity}/${row.project}/${row.name}:${row.idx === null ? `pending version ${row.pk}` : `v${row.idx}`}`;
}

function* toVersion(row: VersionRow, deduplicated?: boolean): SqlProgram<StoredArtifactVersion> {
  const aliases = row.state === 'COMMITTED' ? yield* aliasesOf(row.pk) : readStoredJson(row.pending_aliases, STRING_ARRAY, `${versionName(row)}: column pending_aliases`);
  if (row.idx !== null && !aliases.includes(`v${row.idx}`)) aliases.push(`v${row.idx}`);
  return {
    pk: Number(row.pk),
    artifactPk: Number(row.artifact_pk),
    entity: row.entity,
    project: row.project,
    name: row.name,
    type: row.type,
    index: row.idx === null ? undefined : Number(row.idx),
    state: row.state === 'COMMITTED' ? 'COMMITTED' : 'PENDING',
    digest: row.digest,
    distributedId: row.distributed_id,
    description: row.description,
    metadataJson: row.metadata,
    tags: readStoredJson(row.tags, STRING_ARRAY, `${versionName(row)}: column tags`),
    aliases,
    size: Number(row.size),
    fileCount: Number(row.file_count),
    loggedByRunPk: row.logged_by_run_pk === null ? undefined : Number(row.logged_by_run_pk),
    sourceVersionPk: row.source_version_pk === null ? undefined : Number(row.source_version_pk),
    createdAt: Number(row.created_at),
    committedAt: row.committed_at === null ? undefined : Number(row.committed_at),
    ...(deduplicated !== undefined && { deduplicated }),
  };
}

function* versionByPk(pk: number, deduplicated?: boolean): SqlProgram<StoredArtifactVersion> {
  const rows = (yield sql(`${VERSION_SELECT} WHERE v.pk = ?`, pk)) as unknown as VersionRow[];
  if (rows.length === 0) throw new CohortError('INTERNAL', `artifact version ${pk} vanished inside its transaction`);
  return yield* toVersion(rows[0]!, deduplicated);
}

/** Finds or creates the artifact, locks it (Postgres) and checks its type. Returns its pk. */
function* lockArtifact(key: ArtifactKey, type: string, now: number): SqlProgram<number> {
  yield sql(
    'INSERT INTO artifacts (entity, project, name, type, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (entity, project, name) DO NOTHING',
    key.entity,
    key.project,
    key.name,
    type,
    now,
  );
  const rows = yield sql('SELECT pk, type FROM artifacts WHERE entity = ? AND project = ? AND name = ?', key.entity, key.project, key.name);
  const row = rows[0]!;
  const pk = Number(row['pk']);
  yield pgOnly('SELECT pk FROM artifacts WHERE pk = ? FOR UPDATE', pk);
  if (row['type'] !== type) {
    throw new CohortError(
      'INVALID_ARGUMENT',
      `artifact type: ${key.entity}/${key.project}/${key.name} has type ${JSON.stringify(row['type'])}; a name cannot change type, got ${JSON.stringify(type)}`,
    );
  }
  return pk;
}

/** Points `aliases` (plus `latest` when given) of an artifact at a version, moving them from others. */
function* moveAliases(artifactPk: number, versionPk: number, aliases: readonly string[]): SqlProgram<void> {
  for (const alias of aliases) {
    if (parseVersionName(alias) !== undefined) continue;
    yield sql(
      'INSERT INTO artifact_aliases (artifact_pk, alias, version_pk) VALUES (?, ?, ?) ON CONFLICT (artifact_pk, alias) DO UPDATE SET version_pk = excluded.version_pk',
      artifactPk,
      alias,
      versionPk,
    );
  }
}

/** Adds entries to a pending version; the same path with other content from another writer is an error naming both. */
function* addEntries(versionPk: number, entries: readonly StoredManifestEntry[], writer: string, key: ArtifactKey): SqlProgram<void> {
  for (const e of entries) {
    const existing = yield sql('SELECT digest, size, ref, writer FROM artifact_files WHERE version_pk = ? AND path = ?', versionPk, e.path);
    const row = existing[0];
    if (row) {
      if (row['digest'] === e.digest && Number(row['size']) === e.size && row['ref'] === e.ref) continue;
      throw new CohortError(
        'FAILED_PRECONDITION',
        `artifact ${key.name}: path ${JSON.stringify(e.path)} was added by ${String(row['writer'])} with digest ${String(row['digest']) || String(row['ref'])} and by ${writer} with digest ${e.digest || e.ref}; two writers may add one path only with the same content`,
      );
    }
    yield sql('INSERT INTO artifact_files (version_pk, path, digest, size, ref, writer) VALUES (?, ?, ?, ?, ?, ?)', versionPk, e.path, e.digest, e.size, e.ref, writer);
  }
}

function* entriesOf(versionPk: number): SqlProgram<StoredManifestEntry[]> {
  const rows = yield sql('SELECT path, digest, size, ref FROM artifact_files WHERE version_pk = ? ORDER BY path', versionPk);
  return rows.map((r) => ({ path: String(r['path']), digest: String(r['digest']), size: Number(r['size']), ref: String(r['ref']) }));
}

/**
 * Commits version `versionPk` (whose files are in place): computes its
 * digest; when a committed version of the artifact has the same digest, the
 * pending one is dropped and that one gets the aliases (dedup); otherwise it
 * takes the next index and the aliases.
 */
function* commit(artifactPk: number, versionPk: number, aliases: readonly string[], now: number): SqlProgram<StoredArtifactVersion> {
  const entries = yield* entriesOf(versionPk);
  const digest = manifestDigest(entries);
  const same = yield sql("SELECT pk FROM artifact_versions WHERE artifact_pk = ? AND digest = ? AND state = 'COMMITTED' ORDER BY idx LIMIT 1", artifactPk, digest);
  if (same[0]) {
    const existing = Number(same[0]['pk']);
    yield sql('DELETE FROM artifact_files WHERE version_pk = ?', versionPk);
    yield sql('DELETE FROM artifact_writers WHERE version_pk = ?', versionPk);
    yield sql('DELETE FROM artifact_versions WHERE pk = ?', versionPk);
    yield* moveAliases(artifactPk, existing, aliases);
    return yield* versionByPk(existing, true);
  }
  const next = yield sql('SELECT coalesce(max(idx) + 1, 0) AS next FROM artifact_versions WHERE artifact_pk = ?', artifactPk);
  const size = entries.reduce((n, e) => n + e.size, 0);
  yield sql(
    "UPDATE artifact_versions SET state = 'COMMITTED', idx = ?, digest = ?, size = ?, file_count = ?, committed_at = ?, pending_aliases = '[]' WHERE pk = ?",
    Number(next[0]!['next']),
    digest,
    size,
    entries.length,
    now,
    versionPk,
  );
  yield* moveAliases(artifactPk, versionPk, aliases);
  return yield* versionByPk(versionPk, false);
}

/** `logArtifact`, `upsertArtifact` or `finishArtifact` (docs/run-semantics.md §7). */
export function* saveArtifact(input: SaveArtifactInput): SqlProgram<StoredArtifactVersion> {
  const artifactPk = yield* lockArtifact(input, input.type, input.now);
  let versionPk: number;
  let pendingAliases: string[] = [];
  if (input.mode === 'log') {
    const rows = yield sql(
      `INSERT INTO artifact_versions (artifact_pk, state, distributed_id, description, metadata, tags, logged_by_run_pk, created_at)
       VALUES (?, 'PENDING', ?, ?, ?, ?, ?, ?) RETURNING pk`,
      artifactPk,
      `log:${input.runPk}:${input.now}:${Math.random()}`,
      input.description ?? '',
      input.metadataJson ?? '{}',
      JSON.stringify(input.tags),
      input.runPk,
      input.now,
    );
    versionPk = Number(rows[0]!['pk']);
  } else {
    const found = yield sql("SELECT pk, pending_aliases, tags FROM artifact_versions WHERE artifact_pk = ? AND distributed_id = ? AND state = 'PENDING'", artifactPk, input.distributedId);
    if (found[0]) {
      versionPk = Number(found[0]['pk']);
      const where = `artifact version ${versionPk}`;
      pendingAliases = readStoredJson(String(found[0]['pending_aliases']), STRING_ARRAY, `${where}: column pending_aliases`);
      const tags = new Set([...readStoredJson(String(found[0]['tags']), STRING_ARRAY, `${where}: column tags`), ...input.tags]);
      yield sql('UPDATE artifact_versions SET tags = ? WHERE pk = ?', JSON.stringify([...tags]), versionPk);
      if (input.description !== undefined) yield sql('UPDATE artifact_versions SET description = ? WHERE pk = ?', input.description, versionPk);
      if (input.metadataJson !== undefined) yield sql('UPDATE artifact_versions SET metadata = ? WHERE pk = ?', input.metadataJson, versionPk);
    } else {
      const rows = yield sql(
        `INSERT INTO artifact_versions (artifact_pk, state, distributed_id, description, metadata, tags, logged_by_run_pk, created_at)
         VALUES (?, 'PENDING', ?, ?, ?, ?, ?, ?) RETURNING pk`,
        artifactPk,
        input.distributedId,
        input.description ?? '',
        input.metadataJson ?? '{}',
        JSON.stringify(input.tags),
        input.runPk,
        input.now,
      );
      versionPk = Number(rows[0]!['pk']);
    }
    yield sql('INSERT INTO artifact_writers (version_pk, writer) VALUES (?, ?) ON CONFLICT (version_pk, writer) DO NOTHING', versionPk, input.writer);
  }
  yield* addEntries(versionPk, input.entries, input.writer, input);
  const aliases = [...new Set([...pendingAliases, ...input.aliases])];
  if (input.mode === 'upsert') {
    yield sql('UPDATE artifact_versions SET pending_aliases = ? WHERE pk = ?', JSON.stringify(aliases), versionPk);
    const files = yield sql('SELECT count(*) AS n, coalesce(sum(size), 0) AS size FROM artifact_files WHERE version_pk = ?', versionPk);
    yield sql('UPDATE artifact_versions SET file_count = ?, size = ? WHERE pk = ?', Number(files[0]!['n']), Number(files[0]!['size']), versionPk);
    return yield* versionByPk(versionPk);
  }
  if (input.mode === 'finish') {
    // The finisher is the run that logged it, whoever upserted first.
    yield sql('UPDATE artifact_versions SET logged_by_run_pk = ? WHERE pk = ?', input.runPk, versionPk);
  }
  return yield* commit(artifactPk, versionPk, aliases.includes(LATEST_ALIAS) ? aliases : [...aliases, LATEST_ALIAS], input.now);
}

/** Distinct writers that upserted into the pending version of `distributedId` (0 when none is pending). */
export function* countPendingWriters(key: ArtifactKey, distributedId: string): SqlProgram<number> {
  const rows = yield sql(
    `SELECT count(*) AS n FROM artifact_writers w JOIN artifact_versions v ON v.pk = w.version_pk JOIN artifacts a ON a.pk = v.artifact_pk
     WHERE a.entity = ? AND a.project = ? AND a.name = ? AND v.distributed_id = ? AND v.state = 'PENDING'`,
    key.entity,
    key.project,
    key.name,
    distributedId,
  );
  return Number(rows[0]!['n']);
}

/** A committed version by alias (`latest`, a user alias, or `vN`), or the pending version of a distributed id (`alias` = `pending:<id>`). */
export function* findArtifactVersion(key: ArtifactKey, alias: string): SqlProgram<StoredArtifactVersion | undefined> {
  const index = parseVersionName(alias);
  let rows: VersionRow[];
  if (index !== undefined) {
    rows = (yield sql(`${VERSION_SELECT} WHERE a.entity = ? AND a.project = ? AND a.name = ? AND v.idx = ?`, key.entity, key.project, key.name, index)) as unknown as VersionRow[];
  } else if (alias.startsWith('pending:')) {
    rows = (yield sql(`${VERSION_SELECT} WHERE a.entity = ? AND a.project = ? AND a.name = ? AND v.state = 'PENDING' AND v.distributed_id = ?`, key.entity, key.project, key.name, alias.slice(8))) as unknown as VersionRow[];
  } else {
    rows = (yield sql(
      `${VERSION_SELECT} JOIN artifact_aliases l ON l.version_pk = v.pk WHERE a.entity = ? AND a.project = ? AND a.name = ? AND l.alias = ?`,
      key.entity,
      key.project,
      key.name,
      alias,
    )) as unknown as VersionRow[];
    // `name:<digest>` (W&B): a committed version whose manifest digest it is, when no alias has that name.
    if (rows.length === 0 && /^[0-9a-f]{64}$/.test(alias)) {
      rows = (yield sql(`${VERSION_SELECT} WHERE a.entity = ? AND a.project = ? AND a.name = ? AND v.state = 'COMMITTED' AND v.digest = ? ORDER BY v.idx LIMIT 1`, key.entity, key.project, key.name, alias)) as unknown as VersionRow[];
    }
  }
  return rows[0] ? yield* toVersion(rows[0]) : undefined;
}

/** A version by pk. */
export function* getArtifactVersion(pk: number): SqlProgram<StoredArtifactVersion | undefined> {
  const rows = (yield sql(`${VERSION_SELECT} WHERE v.pk = ?`, pk)) as unknown as VersionRow[];
  return rows[0] ? yield* toVersion(rows[0]) : undefined;
}

/** The files of a version, by path. */
export function* listArtifactFiles(versionPk: number): SqlProgram<StoredManifestEntry[]> {
  return yield* entriesOf(versionPk);
}

/** The committed versions of an artifact, oldest first. */
export function* listArtifactVersions(key: ArtifactKey): SqlProgram<StoredArtifactVersion[]> {
  const rows = (yield sql(`${VERSION_SELECT} WHERE a.entity = ? AND a.project = ? AND a.name = ? AND v.state = 'COMMITTED' ORDER BY v.idx`, key.entity, key.project, key.name)) as unknown as VersionRow[];
  const out: StoredArtifactVersion[] = [];
  for (const r of rows) out.push(yield* toVersion(r));
  return out;
}

/** An artifact of a project's listing: its committed versions counted, the latest one's files and bytes. */
export interface ArtifactListing {
  name: string;
  type: string;
  createdAt: number;
  versions: number;
  /** Of the latest committed version; 0 without one. */
  fileCount: number;
  size: number;
}

/** The artifacts of a project (name, type, versions, the latest version's files and bytes), by name. */
export function* listArtifacts(entity: string, project: string): SqlProgram<ArtifactListing[]> {
  const latest = (col: string): string => `(SELECT v.${col} FROM artifact_versions v WHERE v.artifact_pk = a.pk AND v.state = 'COMMITTED' ORDER BY v.idx DESC LIMIT 1)`;
  const rows = yield sql(
    `SELECT a.name, a.type, a.created_at, (SELECT COUNT(*) FROM artifact_versions v WHERE v.artifact_pk = a.pk AND v.state = 'COMMITTED') AS versions, ${latest('file_count')} AS file_count, ${latest('size')} AS size FROM artifacts a WHERE a.entity = ? AND a.project = ? ORDER BY a.name`,
    entity,
    project,
  );
  return rows.map((r) => ({ name: String(r['name']), type: String(r['type']), createdAt: Number(r['created_at']), versions: Number(r['versions']), fileCount: Number(r['file_count'] ?? 0), size: Number(r['size'] ?? 0) }));
}

/** Records that a run used a version (idempotent). */
export function* useArtifactVersion(versionPk: number, runPk: number, useAs: string, now: number): SqlProgram<void> {
  yield sql('INSERT INTO artifact_usage (version_pk, run_pk, use_as, at) VALUES (?, ?, ?, ?) ON CONFLICT (version_pk, run_pk) DO NOTHING', versionPk, runPk, useAs, now);
}

/** The runs that used a version, in the order they first did. */
export function* listArtifactUsers(versionPk: number): SqlProgram<ArtifactUse[]> {
  const rows = yield sql('SELECT run_pk, use_as, at FROM artifact_usage WHERE version_pk = ? ORDER BY at, run_pk', versionPk);
  return rows.map((r) => ({ runPk: Number(r['run_pk']), useAs: String(r['use_as']), at: Number(r['at']) }));
}

/** The versions a run used. */
export function* listUsedArtifacts(runPk: number): SqlProgram<StoredArtifactVersion[]> {
  const rows = (yield sql(`${VERSION_SELECT} JOIN artifact_usage u ON u.version_pk = v.pk WHERE u.run_pk = ? ORDER BY u.at`, runPk)) as unknown as VersionRow[];
  const out: StoredArtifactVersion[] = [];
  for (const r of rows) out.push(yield* toVersion(r));
  return out;
}

/** The versions a run logged (committed). */
export function* listLoggedArtifacts(runPk: number): SqlProgram<StoredArtifactVersion[]> {
  const rows = (yield sql(`${VERSION_SELECT} WHERE v.logged_by_run_pk = ? AND v.state = 'COMMITTED' AND v.source_version_pk IS NULL ORDER BY v.pk`, runPk)) as unknown as VersionRow[];
  const out: StoredArtifactVersion[] = [];
  for (const r of rows) out.push(yield* toVersion(r));
  return out;
}

/**
 * Links a committed version into a portfolio (`linkArtifact`, `linkModel`):
 * the portfolio gets a version with the same files (a new index, or the one
 * it already has with that digest) and the aliases, `latest` included.
 */
export function* linkArtifactVersion(sourcePk: number, target: ArtifactKey, aliases: readonly string[], now: number): SqlProgram<StoredArtifactVersion> {
  const source = yield* getArtifactVersion(sourcePk);
  if (source?.state !== 'COMMITTED') throw new CohortError('FAILED_PRECONDITION', 'linkArtifact: the artifact is not committed yet; log or finish it first');
  const portfolioPk = yield* lockArtifact(target, source.type, now);
  const same = yield sql("SELECT pk FROM artifact_versions WHERE artifact_pk = ? AND digest = ? AND state = 'COMMITTED' LIMIT 1", portfolioPk, source.digest);
  let versionPk: number;
  if (same[0]) versionPk = Number(same[0]['pk']);
  else {
    const next = yield sql('SELECT coalesce(max(idx) + 1, 0) AS next FROM artifact_versions WHERE artifact_pk = ?', portfolioPk);
    const rows = yield sql(
      `INSERT INTO artifact_versions (artifact_pk, idx, state, digest, distributed_id, description, metadata, tags, size, file_count, logged_by_run_pk, source_version_pk, created_at, committed_at)
       VALUES (?, ?, 'COMMITTED', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING pk`,
      portfolioPk,
      Number(next[0]!['next']),
      source.digest,
      `link:${sourcePk}`,
      source.description,
      source.metadataJson,
      JSON.stringify(source.tags),
      source.size,
      source.fileCount,
      source.loggedByRunPk ?? null,
      sourcePk,
      now,
      now,
    );
    versionPk = Number(rows[0]!['pk']);
    yield sql('INSERT INTO artifact_files (version_pk, path, digest, size, ref, writer) SELECT ?, path, digest, size, ref, writer FROM artifact_files WHERE version_pk = ?', versionPk, sourcePk);
  }
  yield* moveAliases(portfolioPk, versionPk, aliases.includes(LATEST_ALIAS) ? aliases : [...aliases, LATEST_ALIAS]);
  return yield* versionByPk(versionPk);
}

/** Records files of a run's files folder (replacing same paths). */
export function* putRunFiles(runPk: number, files: readonly StoredManifestEntry[], now: number): SqlProgram<void> {
  for (const f of files) {
    yield sql(
      'INSERT INTO run_files (run_pk, path, digest, size, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (run_pk, path) DO UPDATE SET digest = excluded.digest, size = excluded.size, updated_at = excluded.updated_at',
      runPk,
      f.path,
      f.digest,
      f.size,
      now,
    );
  }
}

/** The files of a run, by path. */
export function* listRunFiles(runPk: number): SqlProgram<StoredRunFile[]> {
  const rows = yield sql('SELECT path, digest, size, updated_at FROM run_files WHERE run_pk = ? ORDER BY path', runPk);
  return rows.map((r) => ({ path: String(r['path']), digest: String(r['digest']), size: Number(r['size']), updatedAt: Number(r['updated_at']) }));
}

/**
 * Claims up to `limit` unsuppressed alerts (with `timestamp >= since`) for
 * delivery to `sink`: those never claimed, and those whose claim expired
 * (a coordinator died mid-delivery). Each coordinator claims different ones.
 */
export function* claimAlerts(sink: string, since: number, now: number, leaseUntil: number, limit: number): SqlProgram<ClaimedAlert[]> {
  const candidates = yield sql(
    `SELECT a.id, a.run_pk, a.title, a.text, a.level, a.timestamp, coalesce(d.attempts, 0) AS attempts FROM alerts a
     LEFT JOIN alert_deliveries d ON d.alert_id = a.id AND d.sink = ?
     WHERE NOT a.suppressed AND a.timestamp >= ? AND (d.alert_id IS NULL OR (d.state = 'claimed' AND d.claimed_until < ?))
     ORDER BY a.id LIMIT ?`,
    sink,
    since,
    now,
    limit,
  );
  const out: ClaimedAlert[] = [];
  for (const c of candidates) {
    const id = Number(c['id']);
    const won = yield sql(
      `INSERT INTO alert_deliveries (alert_id, sink, state, attempts, last_error, claimed_until, updated_at) VALUES (?, ?, 'claimed', 0, '', ?, ?)
       ON CONFLICT (alert_id, sink) DO UPDATE SET claimed_until = excluded.claimed_until, updated_at = excluded.updated_at
       WHERE alert_deliveries.state = 'claimed' AND alert_deliveries.claimed_until < ? RETURNING alert_id`,
      id,
      sink,
      leaseUntil,
      now,
      now,
    );
    if (won.length === 0) continue;
    out.push({
      alertId: id,
      runPk: Number(c['run_pk']),
      title: String(c['title']),
      text: String(c['text']),
      level: String(c['level']),
      timestamp: Number(c['timestamp']),
      attempts: Number(c['attempts']),
    });
  }
  return out;
}

/** Ends a claimed delivery: `delivered`, `dead` (the dead letter, with the last error) or `claimed` again for a retry. */
export function* recordAlertDelivery(alertId: number, sink: string, state: 'delivered' | 'dead' | 'claimed', attempts: number, lastError: string, now: number, claimedUntil = 0): SqlProgram<void> {
  yield sql(
    'UPDATE alert_deliveries SET state = ?, attempts = ?, last_error = ?, claimed_until = ?, updated_at = ? WHERE alert_id = ? AND sink = ?',
    state,
    attempts,
    lastError.slice(0, 2000),
    claimedUntil,
    now,
    alertId,
    sink,
  );
}

/** Console lines of a run after id `afterId`, oldest first, at most `limit`. */
export function* listConsoleLines(runPk: number, afterId: number, limit: number): SqlProgram<StoredConsoleLine[]> {
  const rows = yield sql('SELECT id, at, stream, label, line FROM console_lines WHERE run_pk = ? AND id > ? ORDER BY id LIMIT ?', runPk, afterId, limit);
  return rows.map((r) => ({
    id: Number(r['id']),
    at: Number(r['at']),
    stream: r['stream'] === 'stderr' ? 'stderr' : 'stdout',
    label: String(r['label']),
    line: String(r['line']),
  }));
}

/** Delivery records, optionally only of one state, oldest first (at most `limit`). */
export function* listAlertDeliveries(state: string | undefined, limit: number): SqlProgram<StoredAlertDelivery[]> {
  const rows =
    state === undefined
      ? yield sql('SELECT * FROM alert_deliveries ORDER BY updated_at, alert_id LIMIT ?', limit)
      : yield sql('SELECT * FROM alert_deliveries WHERE state = ? ORDER BY updated_at, alert_id LIMIT ?', state, limit);
  return rows.map((r) => ({
    alertId: Number(r['alert_id']),
    sink: String(r['sink']),
    state: String(r['state']) as StoredAlertDelivery['state'],
    attempts: Number(r['attempts']),
    lastError: String(r['last_error']),
    updatedAt: Number(r['updated_at']),
  }));
}
