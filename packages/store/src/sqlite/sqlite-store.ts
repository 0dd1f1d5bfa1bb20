import Database from 'better-sqlite3';
import { CohortError } from '@cohort/protocol';
import type { Store } from '../store.js';
import type {
  CompactionReport,
  AlertScope,
  BatchCommit,
  BatchWrite,
  HistoryColumns,
  JsonSeries,
  NewAlert,
  NewRun,
  NewRunEvent,
  NumericSeries,
  ProjectInfo,
  RunKey,
  RunPatch,
  RunState,
  HistoryKeyQuery,
  RunHead,
  StepRange,
  StoredAlert,
  StoredRun,
  StoredRunEvent,
  StoreRunFilter,
} from '../types.js';
import { migrate } from './schema.js';
import { checkDistinctRuns } from '../check-distinct-runs.js';
import { SqliteGroups } from './sqlite-groups.js';
import { SqliteGroupClaims } from './sqlite-group-claims.js';
import type { GroupClaim } from '../group-claims.js';
import { sqliteArtifactStore, sqliteConsoleWriter, sqliteProgramDriver, sqliteProgramRunner } from './sqlite-artifacts.js';
import { copyHistory, readHistory, readRowSteps, truncateHistory } from '../history/history-ops.js';
import { countRuns, findRunHead, lastAlert, listAlerts, listProjects, listRunEvents, writerAppliedSeq } from '../run-reads.js';
import type { SqlProgram } from '../artifacts/sql-program.js';
import { IdentityStore } from '../identity/identity-store.js';
import { SweepStore } from '../sweeps/sweep-store.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { AggregateCell, AggregateQuery, GroupAnnounce, GroupFilter, GroupKey, GroupPatch, RankProgress, StoredGroup, StoredRankProgress, SystemSample } from '../group-types.js';
import { RUN_COLUMNS, fromRow, toParams, type RunRow } from './run-columns.js';
import { listColumns, sqliteLeafCondition } from '../run-list.js';
import { noRoomForRun, type RunRoom } from '../run-room.js';
import {
  CHUNK_MAX_POINTS,
  CHUNK_MERGE_BELOW,
  concatFloats,
  decodeFloats,
  decodeSteps,
  encodeFloats,
  encodeSteps,
} from './history-chunks.js';

interface ChunkRow {
  id: number;
  first_step: number;
  last_step: number;
  n: number;
  /** Empty when the steps are consecutive (see `encodeSteps`). */
  steps: Buffer | null;
  vals: Buffer;
}

interface KeyDictionary {
  ids: Map<string, number>;
}

/**
 * Opens (creating if needed) a SQLite store at `path` (a file, or `':memory:'`),
 * in WAL mode with `synchronous=NORMAL`, and runs pending migrations.
 *
 * @example
 * await using store = openSqliteStore('/data/cohort.db');
 */
export function openSqliteStore(path: string): SqliteStore {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return new SqliteStore(db);
}

/**
 * The embedded {@link Store}: better-sqlite3, prepared statements, one
 * transaction per domain write. Its work is synchronous; the Promises exist
 * so callers are ready for the Postgres store.
 */
export class SqliteStore implements Store {
  readonly #db: Database.Database;
  #closed = false;
  readonly #keys = new Map<number, KeyDictionary>();
  readonly #updates = new Map<string, Database.Statement>();
  readonly #s;
  readonly #groups: SqliteGroups;
  readonly #claims: SqliteGroupClaims;
  /** Artifacts, run files and alert deliveries. */
  readonly artifacts: ArtifactStore;
  /** Users, entities, API keys and blob grants. */
  readonly identity: IdentityStore;
  readonly sweeps: SweepStore;
  readonly #console: ReturnType<typeof sqliteConsoleWriter>;
  /** Runs a shared history program (history/history-ops.ts) inside the caller's transaction. */
  readonly #drive: <T>(program: SqlProgram<T>) => T;

  /** Wraps an open database whose schema is migrated; use {@link openSqliteStore}. */
  constructor(db: Database.Database) {
    this.#db = db;
    this.#groups = new SqliteGroups(db);
    this.#claims = new SqliteGroupClaims(db);
    this.#console = sqliteConsoleWriter(db);
    this.#drive = sqliteProgramDriver(db);
    const assertOpen = () => {
      if (this.#closed) throw new CohortError('FAILED_PRECONDITION', 'store: the SQLite store is closed');
    };
    this.artifacts = sqliteArtifactStore(db, assertOpen);
    this.identity = new IdentityStore(sqliteProgramRunner(db, assertOpen));
    this.sweeps = new SweepStore(sqliteProgramRunner(db, assertOpen, 'immediate'));
    const fields = Object.keys(RUN_COLUMNS) as Array<keyof typeof RUN_COLUMNS>;
    const insertCols = ['entity', 'project', 'run_id', ...fields.map((f) => RUN_COLUMNS[f].column), 'created_at', 'updated_at'];
    const insertVals = ['@entity', '@project', '@runId', ...fields.map((f) => `@${f}`), '@now', '@now'];
    this.#s = {
      findRun: db.prepare('SELECT * FROM runs WHERE entity = ? AND project = ? AND run_id = ?'),
      runByPk: db.prepare('SELECT * FROM runs WHERE pk = ?'),
      insertRun: db.prepare(`INSERT INTO runs (${insertCols.join(', ')}) VALUES (${insertVals.join(', ')})`),
      upsertWriter: db.prepare(
        'INSERT INTO run_writers (run_pk, label, applied_seq) VALUES (?, ?, ?) ON CONFLICT (run_pk, label) DO UPDATE SET applied_seq = excluded.applied_seq',
      ),
      keysOf: db.prepare('SELECT key_id, key FROM history_keys WHERE run_pk = ? ORDER BY key_id'),
      insertKey: db.prepare('INSERT INTO history_keys (run_pk, key_id, key) VALUES (?, ?, ?)'),
      keyIdOf: db.prepare('SELECT key_id FROM history_keys WHERE run_pk = ? AND key = ?'),
      keysPage: db.prepare("SELECT key FROM history_keys WHERE run_pk = ? AND (? = 0 OR substr(key, 1, 1) <> '_') ORDER BY key_id LIMIT ?"),
      // Keys under a prefix `p.`: bytewise, exactly those in [`p.`, `p/`) (`/` follows `.`), one range of the (run_pk, key) index.
      keysInRange: db.prepare('SELECT key_id, key FROM history_keys WHERE run_pk = ? AND key > ? AND key < ?'),
      nextKeyId: db.prepare('SELECT coalesce(max(key_id) + 1, 0) AS next FROM history_keys WHERE run_pk = ?'),
      tail: db.prepare('SELECT id, n, last_step FROM history_chunks WHERE run_pk = ? AND key_id = ? ORDER BY last_step DESC LIMIT 1'),
      chunkById: db.prepare('SELECT id, first_step, last_step, n, steps, vals FROM history_chunks WHERE id = ?'),
      deleteChunk: db.prepare('DELETE FROM history_chunks WHERE id = ?'),
      insertChunk: db.prepare(
        'INSERT INTO history_chunks (run_pk, key_id, first_step, last_step, n, steps, vals) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      insertJson: db.prepare('INSERT OR REPLACE INTO history_json (run_pk, step, key_id, json) VALUES (?, ?, ?, ?)'),
      insertAlert: db.prepare(
        'INSERT INTO alerts (run_pk, title, text, level, timestamp, wait_duration_ms, suppressed) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      insertEvent: db.prepare('INSERT INTO run_events (run_pk, state, at, detail) VALUES (?, ?, ?, ?)'),
      heartbeat: db.prepare('UPDATE runs SET heartbeat_at = ?, runtime = max(runtime, coalesce(?, runtime)), updated_at = ? WHERE pk = ?'),
    };
  }

  /** The underlying better-sqlite3 database (for tools and tests). */
  get database(): Database.Database {
    return this.#db;
  }

  async findRun(key: RunKey): Promise<StoredRun | undefined> {
    this.#open();
    const row = this.#s.findRun.get(key.entity, key.project, key.runId) as RunRow | undefined;
    return row && fromRow(row);
  }

  async findRunHead(key: RunKey): Promise<RunHead | undefined> {
    this.#open();
    return this.#drive(findRunHead(key));
  }

  async findRuns(keys: readonly RunKey[]): Promise<Array<StoredRun | undefined>> {
    this.#open();
    return keys.map((key) => {
      const row = this.#s.findRun.get(key.entity, key.project, key.runId) as RunRow | undefined;
      return row && fromRow(row);
    });
  }

  async getRunByPk(pk: number): Promise<StoredRun | undefined> {
    this.#open();
    return this.#runByPk(pk);
  }

  async createRun(run: NewRun, event?: NewRunEvent, room?: RunRoom): Promise<StoredRun> {
    this.#open();
    return this.#db.transaction(() => {
      this.#checkRoom(run, room);
      const pk = this.#insertRun(run);
      if (event) this.#s.insertEvent.run(pk, event.state, event.at, event.detail);
      return this.#runByPk(pk)!;
    })();
  }

  async updateRun(
    pk: number,
    patch: RunPatch,
    options: { expectedVersion?: number; event?: NewRunEvent } = {},
  ): Promise<boolean> {
    this.#open();
    return this.#db.transaction(() => {
      if (!this.#patch(pk, patch, options.expectedVersion)) return false;
      if (options.event) this.#s.insertEvent.run(pk, options.event.state, options.event.at, options.event.detail);
      return true;
    })();
  }

  async commitBatch(pk: number, expectedVersion: number, write: BatchWrite): Promise<boolean> {
    return (await this.commitBatches([{ pk, expectedVersion, write }]))[0]!;
  }

  async commitBatches(items: readonly BatchCommit[]): Promise<boolean[]> {
    this.#open();
    checkDistinctRuns(items);
    try {
      // In process, statements cost no round trips: one transaction around the single-batch commit.
      return this.#db.transaction(() => items.map((item) => this.#commit(item.pk, item.expectedVersion, item.write)))();
    } catch (err) {
      // Key ids handed out inside the rolled-back transaction are gone.
      for (const item of items) this.#keys.delete(item.pk);
      throw err;
    }
  }

  /** One batch's writes, inside the caller's transaction; false, writing nothing, when the version guard fails. */
  #commit(pk: number, expectedVersion: number, write: BatchWrite): boolean {
    const writer = write.writer ?? '';
    const patch = writer === '' ? { ...write.run, appliedSeq: write.appliedSeq } : { ...write.run };
    if (!this.#patch(pk, patch, expectedVersion)) return false;
    if (writer !== '') this.#s.upsertWriter.run(pk, writer, write.appliedSeq);
    if (write.rewindAfter !== undefined) this.#truncateAfter(pk, write.rewindAfter);
    for (const series of write.numeric ?? []) this.#writeNumeric(pk, series);
    if (write.aggregates) this.#groups.addSeries(write.aggregates.group, write.numeric ?? []);
    if (write.progress) this.#groups.patchProgress(pk, write.progress);
    if (write.system) this.#groups.addSystem(pk, write.system);
    if (write.console) this.#console(pk, write.console);
    for (const series of write.json ?? []) this.#writeJson(pk, series);
    for (const alert of write.alerts ?? []) this.#insertAlert(pk, alert);
    for (const e of write.events ?? []) this.#s.insertEvent.run(pk, e.state, e.at, e.detail);
    return true;
  }

  async forkRun(sourcePk: number, maxStep: number, run: NewRun, event?: NewRunEvent, room?: RunRoom): Promise<StoredRun> {
    this.#open();
    return this.#db.transaction(() => {
      this.#checkRoom(run, room);
      const pk = this.#insertRun(run);
      this.#drive(copyHistory(pk, sourcePk, maxStep));
      if (event) this.#s.insertEvent.run(pk, event.state, event.at, event.detail);
      return this.#runByPk(pk)!;
    })();
  }

  async writerAppliedSeq(pk: number, writer: string): Promise<number> {
    this.#open();
    return this.#drive(writerAppliedSeq(pk, writer));
  }

  async writerAppliedSeqs(keys: readonly { pk: number; writer: string }[]): Promise<number[]> {
    this.#open();
    return keys.map((k) => this.#drive(writerAppliedSeq(k.pk, k.writer)));
  }

  async rewindRun(pk: number, expectedVersion: number, afterStep: number, patch: RunPatch, event?: NewRunEvent): Promise<boolean> {
    this.#open();
    return this.#db.transaction(() => {
      if (!this.#patch(pk, patch, expectedVersion)) return false;
      this.#truncateAfter(pk, afterStep);
      if (event) this.#s.insertEvent.run(pk, event.state, event.at, event.detail);
      return true;
    })();
  }

  async heartbeat(pk: number, at: number, runtime?: number): Promise<boolean> {
    this.#open();
    return this.#s.heartbeat.run(at, runtime ?? null, Date.now() / 1000, pk).changes > 0;
  }

  async listProjects(entity?: string): Promise<ProjectInfo[]> {
    this.#open();
    return this.#drive(listProjects(entity));
  }

  async countRuns(entity: string, project: string, upTo: number): Promise<number> {
    this.#open();
    return this.#drive(countRuns(entity, project, upTo));
  }

  async listRuns(entity: string, project: string, filter: StoreRunFilter = {}): Promise<StoredRun[]> {
    this.#open();
    const where = ['entity = ?', 'project = ?'];
    const params: unknown[] = [entity, project];
    if (filter.states) {
      if (filter.states.length === 0) return [];
      where.push(`state IN (${filter.states.map(() => '?').join(', ')})`);
      params.push(...filter.states);
    }
    if (filter.group !== undefined) {
      where.push('run_group = ?');
      params.push(filter.group);
    }
    if (filter.jobType !== undefined) {
      where.push('job_type = ?');
      params.push(filter.jobType);
    }
    if (filter.name !== undefined) {
      where.push('name = ?');
      params.push(filter.name);
    }
    for (const tag of filter.tags ?? []) {
      where.push('EXISTS (SELECT 1 FROM json_each(runs.tags) WHERE value = ?)');
      params.push(tag);
    }
    for (const column of ['config', 'summary'] as const) {
      for (const [path, value] of Object.entries(filter[column] ?? {})) {
        const cond = sqliteLeafCondition(column, path, value);
        if (!cond) continue;
        where.push(cond.sql);
        params.push(...cond.params);
      }
    }
    if (filter.after) {
      where.push('(created_at < ? OR (created_at = ? AND pk < ?))');
      params.push(filter.after.createdAt, filter.after.createdAt, filter.after.pk);
    }
    const sql = `SELECT ${listColumns(filter.brief !== true)} FROM runs WHERE ${where.join(' AND ')} ORDER BY created_at DESC, pk DESC LIMIT ?`;
    const rows = this.#db.prepare(sql).all(...params, filter.limit ?? -1);
    return (rows as RunRow[]).map(fromRow);
  }

  async listStaleRuns(states: RunState[], before: number): Promise<StoredRun[]> {
    this.#open();
    if (states.length === 0) return [];
    const rows = this.#db
      .prepare(`SELECT * FROM runs WHERE state IN (${states.map(() => '?').join(', ')}) AND coalesce(heartbeat_at, opened_at) < ? ORDER BY pk`)
      .all(...states, before);
    return (rows as RunRow[]).map(fromRow);
  }

  async listHistoryKeys(pk: number, query: HistoryKeyQuery = {}): Promise<string[]> {
    this.#open();
    const limit = query.limit ?? -1;
    if (query.match === undefined) return (this.#s.keysPage.all(pk, query.visibleOnly ? 1 : 0, limit) as Array<{ key: string }>).map((r) => r.key);
    const found = new Map<number, string>();
    for (const m of new Set(query.match)) {
      const exact = this.#s.keyIdOf.get(pk, m) as { key_id: number } | undefined;
      if (exact) found.set(exact.key_id, m);
      for (const r of this.#s.keysInRange.all(pk, `${m}.`, `${m}/`) as Array<{ key_id: number; key: string }>) found.set(r.key_id, r.key);
    }
    const keys = [...found].sort((a, b) => a[0] - b[0]).map(([, key]) => key).filter((k) => !query.visibleOnly || !k.startsWith('_'));
    return limit < 0 ? keys : keys.slice(0, limit);
  }

  async readHistory(pk: number, query: StepRange & { keys?: readonly string[] } = {}): Promise<HistoryColumns> {
    this.#open();
    // Synchronous: no batch of this process lands between its statements.
    return this.#drive(readHistory(pk, query));
  }

  /** Nothing to do: `#writeNumeric` grows a key's small tail chunk in the write itself (in process, that costs no round trip). */
  async compactHistory(): Promise<CompactionReport> {
    return { runs: 0, keys: 0, chunksRemoved: 0, chunksWritten: 0 };
  }

  async readRowSteps(pk: number, query: StepRange & { limit?: number } = {}): Promise<Float64Array> {
    this.#open();
    return this.#drive(readRowSteps(pk, query));
  }

  async lastAlert(scope: AlertScope, title: string): Promise<StoredAlert | undefined> {
    this.#open();
    return this.#drive(lastAlert(scope, title));
  }

  async listAlerts(pk: number): Promise<StoredAlert[]> {
    this.#open();
    return this.#drive(listAlerts(pk));
  }

  async listRunEvents(pk: number): Promise<StoredRunEvent[]> {
    this.#open();
    return this.#drive(listRunEvents(pk));
  }

  async announceGroup(key: GroupKey, announce: GroupAnnounce, now: number): Promise<StoredGroup> {
    this.#open();
    return this.#groups.announce(key, announce, now);
  }

  async claimGroup(claim: GroupClaim, now: number): Promise<string> {
    this.#open();
    return this.#claims.claim(claim, now);
  }

  async findGroup(key: GroupKey): Promise<StoredGroup | undefined> {
    this.#open();
    return this.#groups.find(key);
  }

  async listGroups(filter: GroupFilter = {}): Promise<StoredGroup[]> {
    this.#open();
    return this.#groups.list(filter);
  }

  async updateGroup(key: GroupKey, patch: GroupPatch, now: number): Promise<boolean> {
    this.#open();
    return this.#groups.update(key, patch, now);
  }

  async readGroupAggregates(key: GroupKey, query: AggregateQuery = {}): Promise<AggregateCell[]> {
    this.#open();
    return this.#groups.readAggregates(key, query);
  }

  async getRankProgress(runPk: number): Promise<RankProgress | undefined> {
    this.#open();
    return this.#groups.getProgress(runPk);
  }

  async listRankProgress(runPks: readonly number[]): Promise<StoredRankProgress[]> {
    this.#open();
    return this.#groups.listProgress(runPks);
  }

  async patchRankProgress(runPk: number, patch: Partial<RankProgress>): Promise<void> {
    this.#open();
    this.#groups.patchProgress(runPk, patch);
  }

  async readSystemMetrics(runPk: number, query: { since?: number; limit?: number } = {}): Promise<SystemSample[]> {
    this.#open();
    return this.#groups.readSystem(runPk, query);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #open(): void {
    if (this.#closed) throw new CohortError('FAILED_PRECONDITION', 'store: the SQLite store is closed');
  }

  /** Removes a run's history after `afterStep`, and rebuilds its group's aggregates above it. */
  #truncateAfter(pk: number, afterStep: number): void {
    this.#drive(truncateHistory(pk, afterStep));
    this.#keys.delete(pk);
    const run = this.#runByPk(pk);
    if (run && run.group !== '') this.#groups.rebuildAfter({ entity: run.entity, project: run.project, group: run.group }, afterStep);
  }

  #runByPk(pk: number): StoredRun | undefined {
    const row = this.#s.runByPk.get(pk) as RunRow | undefined;
    return row && fromRow(row);
  }

  /** `maxRunsPerProject`, counted in the transaction that inserts the run (run-room.ts). */
  #checkRoom(run: NewRun, room: RunRoom | undefined): void {
    if (!room) return;
    const n = this.#drive(countRuns(run.entity, run.project, room.maxRunsPerProject));
    if (n >= room.maxRunsPerProject) throw noRoomForRun(run.entity, run.project, n, room.maxRunsPerProject);
  }

  #insertRun(run: NewRun): number {
    const now = Date.now() / 1000;
    try {
      const res = this.#s.insertRun.run({ ...toParams(run), entity: run.entity, project: run.project, runId: run.runId, now });
      return Number(res.lastInsertRowid);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new CohortError(
          'ALREADY_EXISTS',
          `run: a run with id "${run.runId}" already exists in ${run.entity}/${run.project}`,
          { cause: err },
        );
      }
      throw err;
    }
  }

  /** One UPDATE of the given fields that bumps the version, guarded by it when given. Returns whether a row changed. */
  #patch(pk: number, patch: RunPatch, expectedVersion: number | undefined): boolean {
    const params = toParams(patch);
    const fields = Object.keys(params).sort();
    const guarded = expectedVersion !== undefined;
    const sig = `${guarded ? 'g' : 'u'}:${fields.join(',')}`;
    let stmt = this.#updates.get(sig);
    if (!stmt) {
      const sets = fields.map((f) => `${RUN_COLUMNS[f as keyof typeof RUN_COLUMNS].column} = @${f}`);
      sets.push('updated_at = @updatedAt__', 'version = version + 1');
      stmt = this.#db.prepare(
        `UPDATE runs SET ${sets.join(', ')} WHERE pk = @pk__${guarded ? ' AND version = @expected__' : ''}`,
      );
      this.#updates.set(sig, stmt);
    }
    params['pk__'] = pk;
    params['updatedAt__'] = Date.now() / 1000;
    if (guarded) params['expected__'] = expectedVersion;
    return stmt.run(params).changes > 0;
  }

  /** The key dictionary of a run that this store writes: cached (a miss asks the database); readers ask the tables. */
  #dictionary(pk: number): KeyDictionary {
    let dict = this.#keys.get(pk);
    if (!dict) {
      const ids = new Map<string, number>();
      for (const r of this.#s.keysOf.all(pk) as Array<{ key_id: number; key: string }>) ids.set(r.key, r.key_id);
      dict = { ids };
      this.#keys.set(pk, dict);
    }
    return dict;
  }

  /** The id of a key, added to the dictionary when new (inside the batch's transaction, which holds the write lock). */
  #keyId(pk: number, key: string): number {
    const dict = this.#dictionary(pk);
    let id = dict.ids.get(key);
    if (id === undefined) {
      id = (this.#s.keyIdOf.get(pk, key) as { key_id: number } | undefined)?.key_id;
      if (id === undefined) {
        id = (this.#s.nextKeyId.get(pk) as { next: number }).next;
        this.#s.insertKey.run(pk, id, key);
      }
      dict.ids.set(key, id);
    }
    return id;
  }

  #writeNumeric(pk: number, series: NumericSeries): void {
    let { steps, values } = series;
    if (steps.length === 0) return;
    if (steps.length !== values.length) {
      throw new CohortError('INVALID_ARGUMENT', `history: key "${series.key}" has ${steps.length} steps but ${values.length} values`);
    }
    const keyId = this.#keyId(pk, series.key);
    const tail = this.#s.tail.get(pk, keyId) as { id: number; n: number; last_step: number } | undefined;
    if (tail && tail.last_step >= steps[0]!) {
      throw new CohortError(
        'FAILED_PRECONDITION',
        `history: key "${series.key}" gets step ${steps[0]} but already holds step ${tail.last_step}; steps must increase`,
      );
    }
    if (tail && tail.n < CHUNK_MERGE_BELOW) {
      // Small batches would leave a million tiny chunks: grow the tail instead.
      const old = this.#s.chunkById.get(tail.id) as ChunkRow;
      steps = concatFloats([decodeSteps(old.steps, old.first_step, old.n), steps]);
      values = concatFloats([decodeFloats(old.vals), values]);
      this.#s.deleteChunk.run(tail.id);
    }
    for (let at = 0; at < steps.length; at += CHUNK_MAX_POINTS) {
      const end = Math.min(at + CHUNK_MAX_POINTS, steps.length);
      this.#s.insertChunk.run(
        pk,
        keyId,
        steps[at]!,
        steps[end - 1]!,
        end - at,
        encodeSteps(steps.subarray(at, end)),
        encodeFloats(values.subarray(at, end)),
      );
    }
  }

  #writeJson(pk: number, series: JsonSeries): void {
    if (series.steps.length !== series.values.length) {
      throw new CohortError('INVALID_ARGUMENT', `history: key "${series.key}" has ${series.steps.length} steps but ${series.values.length} values`);
    }
    if (series.steps.length === 0) return;
    const keyId = this.#keyId(pk, series.key);
    for (let i = 0; i < series.steps.length; i++) this.#s.insertJson.run(pk, series.steps[i]!, keyId, series.values[i]!);
  }

  #insertAlert(pk: number, a: NewAlert): void {
    this.#s.insertAlert.run(pk, a.title, a.text, a.level, a.timestamp, a.waitDurationMs, a.suppressed ? 1 : 0);
  }
}

