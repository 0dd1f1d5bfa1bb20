import pg from 'pg';
import { CohortError, describeValue, stringifyJson } from '@cohort/protocol';
import type { Store } from '../store.js';
import type {
  CompactionOptions,
  CompactionReport,
  AlertScope,
  BatchCommit,
  BatchWrite,
  HistoryColumns,
  NewAlert,
  NewRun,
  NewRunEvent,
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
import { checkDistinctRuns } from '../check-distinct-runs.js';
import { RUN_COLUMNS, fromRow, toParams, type RunRow } from '../sqlite/run-columns.js';
import { isUniqueViolation, toCohortError } from './pg-errors.js';
import { drivePgProgram, pgArtifactStore, pgInsertConsole, pgProgramRunner } from './pg-artifacts.js';
import { IdentityStore } from '../identity/identity-store.js';
import { SweepStore } from '../sweeps/sweep-store.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { insertValues, type Queryable } from './pg-history.js';
import { copyHistory, readHistory, readRowSteps, truncateHistory } from '../history/history-ops.js';
import { countRuns, findRunHead, lastAlert, listAlerts, listProjects, listRunEvents, writerAppliedSeq } from '../run-reads.js';
import type { SqlProgram } from '../artifacts/sql-program.js';
import { SCHEMA_NAME, migratePostgres } from './pg-schema.js';
import { filterPaths, listColumns } from '../run-list.js';
import { noRoomForRun, type RunRoom } from '../run-room.js';
import { commitInOneStatement, groupHistory, rebuildKeyIndexes, updateRuns, upsertWriters, writeHistories } from './pg-batch-commit.js';
import { KEY_INDEX_NOT_KEPT, KeyIndexCache, parseKeyIndex, planKeys } from './pg-key-index.js';
import { compactHistory } from './pg-compaction.js';
import * as groups from './pg-groups.js';
import { claimGroup } from './pg-group-claims.js';
import type { GroupClaim } from '../group-claims.js';
import type { AggregateCell, AggregateQuery, GroupAnnounce, GroupFilter, GroupKey, GroupPatch, RankProgress, StoredGroup, StoredRankProgress, SystemSample } from '../group-types.js';

/** Options of {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** Connections in the pool. @defaultValue `10` */
  max?: number;
  /**
   * The schema the tables live in, created when missing (a lower-case
   * identifier). @defaultValue the connection's `search_path` (usually `public`)
   */
  schema?: string;
  /** How long a call waits for a connection before it fails UNAVAILABLE, in ms. @defaultValue `10_000` */
  connectTimeoutMs?: number;
  /** The server-side limit of one statement, in ms (DEADLINE_EXCEEDED past it). @defaultValue `60_000` */
  statementTimeoutMs?: number;
}

interface ResolvedPostgresStoreOptions {
  max: number;
  schema: string | undefined;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
}


/** A `runs` row as node-postgres returns it (BOOLEAN rather than SQLite's 0/1). */
type PgRunRow = Omit<RunRow, 'resumed'> & { resumed: boolean; history_index?: string | null };

const FIELDS = Object.keys(RUN_COLUMNS) as Array<keyof typeof RUN_COLUMNS>;
const INSERT_RUN = (() => {
  const cols = ['entity', 'project', 'run_id', ...FIELDS.map((f) => RUN_COLUMNS[f].column), 'created_at', 'updated_at'];
  return `INSERT INTO runs (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`;
})();

/**
 * Opens a Postgres store at `url` (`postgres://user:pass@host:port/db`): a
 * connection pool, and the pending migrations run once, under an advisory
 * lock, so any number of coordinators and workers may open it at once.
 * Fails UNAVAILABLE when the server cannot be reached.
 *
 * @example
 * await using store = await openPostgresStore('postgres://cohort@db:5432/cohort', { max: 20 });
 * const engine = new Engine(store);
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const resolved = resolveOptions(options);
  let connectionString = url;
  if (resolved.schema !== undefined) {
    // The connection string's parameters win over config fields in node-postgres, so the search path goes into it.
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (err) {
      throw new CohortError('INVALID_ARGUMENT', `store: expected a postgres:// URL when \`schema\` is given, got ${describeValue(redact(url))}`, { cause: err });
    }
    const before = parsed.searchParams.get('options');
    parsed.searchParams.set('options', `${before ? `${before} ` : ''}-c search_path=${resolved.schema}`);
    connectionString = parsed.href;
  }
  const types = new pg.TypeOverrides();
  // BIGINT columns (steps, seqs, ids, counts) hold safe integers: read them as numbers, not strings.
  types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));
  const pool = new pg.Pool({
    connectionString,
    max: resolved.max,
    types,
    connectionTimeoutMillis: resolved.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    statement_timeout: resolved.statementTimeoutMs,
    application_name: 'cohort',
  });
  // An idle connection the server closed: the pool drops it; the next call reconnects or fails UNAVAILABLE.
  pool.on('error', ignore);
  try {
    const client = await pool.connect();
    client.on('error', ignore);
    try {
      await migratePostgres(client, resolved.schema);
    } finally {
      client.off('error', ignore);
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => {});
    throw toCohortError(err, 'opening the store');
  }
  return new PostgresStore(pool);
}

function resolveOptions(options: PostgresStoreOptions): ResolvedPostgresStoreOptions {
  const int = (name: string, value: number | undefined, fallback: number, min: number, max: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new CohortError('INVALID_ARGUMENT', `store: expected \`${name}\` to be an integer from ${min} to ${max}, got ${describeValue(value)}`);
    }
    return value;
  };
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new CohortError('INVALID_ARGUMENT', `store: expected \`schema\` to be a lower-case identifier (${SCHEMA_NAME}), got ${describeValue(options.schema)}`);
  }
  return {
    max: int('max', options.max, 10, 1, 1000),
    schema: options.schema,
    connectTimeoutMs: int('connectTimeoutMs', options.connectTimeoutMs, 10_000, 1, 600_000),
    statementTimeoutMs: int('statementTimeoutMs', options.statementTimeoutMs, 60_000, 1, 3_600_000),
  };
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
}

/**
 * The scaled-mode {@link Store}: PostgreSQL through a `pg.Pool`, one
 * transaction per domain write, with the same semantics as the SQLite store.
 * Appliers on many machines are kept apart by the run's `version` (a guarded
 * `UPDATE` that also takes the run's row lock for the rest of the
 * transaction). Nothing about a run is cached in process: other processes
 * write the same runs.
 */
export class PostgresStore implements Store {
  readonly #pool: pg.Pool;
  /** The key index of each run as this store last read or wrote it (pg-key-index.ts). */
  readonly #keyIndexes = new KeyIndexCache();
  #closing: Promise<void> | undefined;

  /** Artifacts, run files and alert deliveries. */
  readonly artifacts: ArtifactStore;
  /** Users, entities, API keys and blob grants. */
  readonly identity: IdentityStore;
  readonly sweeps: SweepStore;

  /** Wraps a pool whose database is migrated; use {@link openPostgresStore}. */
  constructor(pool: pg.Pool) {
    this.#pool = pool;
    this.artifacts = pgArtifactStore((doing, fn) => this.#tx(doing, fn));
    this.identity = new IdentityStore(pgProgramRunner((doing, fn) => this.#tx(doing, fn)));
    this.sweeps = new SweepStore(pgProgramRunner((doing, fn) => this.#tx(doing, fn)));
  }

  /** The underlying pool (for tools and tests). */
  get pool(): pg.Pool {
    return this.#pool;
  }

  async findRun(key: RunKey): Promise<StoredRun | undefined> {
    const rows = await this.#query<PgRunRow>('finding a run', 'SELECT * FROM runs WHERE entity = $1 AND project = $2 AND run_id = $3', [
      key.entity,
      key.project,
      key.runId,
    ]);
    return rows[0] && this.#runOf(rows[0]);
  }

  async findRunHead(key: RunKey): Promise<RunHead | undefined> {
    return this.#read('finding a run', findRunHead(key));
  }

  async getRunByPk(pk: number): Promise<StoredRun | undefined> {
    const rows = await this.#query<PgRunRow>('reading a run', 'SELECT * FROM runs WHERE pk = $1', [pk]);
    return rows[0] && this.#runOf(rows[0]);
  }

  async createRun(run: NewRun, event?: NewRunEvent, room?: RunRoom): Promise<StoredRun> {
    return this.#tx('creating a run', async (c) => {
      await checkRoom(c, run, room);
      const created = await insertRun(c, run);
      if (event) await insertEvents(c, created.pk, [event]);
      return created;
    });
  }

  async updateRun(pk: number, patch: RunPatch, options: { expectedVersion?: number; event?: NewRunEvent } = {}): Promise<boolean> {
    return this.#tx('updating a run', async (c) => {
      if (!(await patchRun(c, pk, patch, options.expectedVersion))) return false;
      if (options.event) await insertEvents(c, pk, [options.event]);
      return true;
    });
  }

  async findRuns(keys: readonly RunKey[]): Promise<Array<StoredRun | undefined>> {
    if (keys.length === 0) {
      this.#open();
      return [];
    }
    const rows = await this.#query<PgRunRow & { ord: number }>(
      'finding runs',
      `SELECT r.*, w.ord FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS w(entity, project, run_id, ord)
       JOIN runs r ON r.entity = w.entity AND r.project = w.project AND r.run_id = w.run_id`,
      [keys.map((k) => k.entity), keys.map((k) => k.project), keys.map((k) => k.runId)],
    );
    const out: Array<StoredRun | undefined> = new Array<StoredRun | undefined>(keys.length).fill(undefined);
    for (const row of rows) out[row.ord - 1] = this.#runOf(row);
    return out;
  }

  async commitBatch(pk: number, expectedVersion: number, write: BatchWrite): Promise<boolean> {
    return (await this.commitBatches([{ pk, expectedVersion, write }]))[0]!;
  }

  async commitBatches(items: readonly BatchCommit[]): Promise<boolean[]> {
    checkDistinctRuns(items);
    if (items.length === 0) {
      this.#open();
      return [];
    }
    // Each batch's keys planned on its run's index as read at the expected version (no lookup), where this store has it.
    const histories = items.map(({ pk, write }) => groupHistory({ pk, numeric: write.numeric ?? [], json: write.json ?? [] }));
    const known = items.map(({ pk, expectedVersion }) => this.#keyIndexes.at(pk, expectedVersion));
    const plans = items.map(({ write }, i) => {
      const index = write.rewindAfter === undefined ? parseKeyIndex(known[i]) : undefined;
      return index && planKeys(index, histories[i]!.numeric, histories[i]!.json);
    });
    const doing = items.length === 1 ? 'committing a batch' : `committing ${items.length} batches`;
    this.#open();
    let single: boolean[] | undefined;
    try {
      single = await commitInOneStatement(this.#pool, items, histories, plans, Date.now() / 1000);
    } catch (err) {
      throw toCohortError(err, doing);
    }
    if (single) {
      items.forEach(({ pk, expectedVersion }, i) => {
        if (single[i]) this.#keyIndexes.remember(pk, expectedVersion + 1, plans[i]!.text);
      });
      return single;
    }
    const written = new Map<number, string>();
    const ok = await this.#tx(doing, async (c) => {
      const ok = await updateRuns(c, items, Date.now() / 1000, plans.map((p) => p?.text));
      const passed = items.filter((_, i) => ok[i]);
      await upsertWriters(c, passed);
      // The rare parts stay per run: they cost round trips only where present.
      for (const { pk, write } of passed) if (write.rewindAfter !== undefined) await truncateAfter(c, pk, write.rewindAfter);
      const mine = items.flatMap((_, i) => (ok[i] ? [{ history: histories[i]!, plan: plans[i] }] : []));
      await writeHistories(c, mine);
      for (const { history, plan } of mine) if (plan) written.set(history.pk, plan.text);
      // Runs whose index was unknown get it rebuilt; a run whose index is not kept (too many keys) stays without.
      const rebuild = items.flatMap((item, i) => (ok[i] && !plans[i] && known[i] !== KEY_INDEX_NOT_KEPT ? [item.pk] : []));
      for (const [pk, text] of await rebuildKeyIndexes(c, rebuild)) written.set(pk, text);
      // Group advisory locks in one order across transactions, so two appliers never wait on each other's.
      const grouped = passed.filter((i) => i.write.aggregates).sort((a, b) => compareGroups(a.write.aggregates!.group, b.write.aggregates!.group));
      for (const { write } of grouped) await groups.addGroupSeries(c, write.aggregates!.group, write.numeric ?? []);
      for (const { pk, write } of passed) {
        if (write.progress) await groups.patchRankProgress(c, pk, write.progress);
        if (write.system && write.system.length > 0) await groups.addSystemSamples(c, pk, write.system);
        if (write.console && write.console.length > 0) await pgInsertConsole(c, pk, write.console);
        if (write.alerts && write.alerts.length > 0) await insertAlerts(c, pk, write.alerts);
        if (write.events && write.events.length > 0) await insertEvents(c, pk, write.events);
      }
      return ok;
    });
    items.forEach(({ pk, expectedVersion }, i) => {
      if (ok[i]) this.#keyIndexes.remember(pk, expectedVersion + 1, written.get(pk) ?? KEY_INDEX_NOT_KEPT);
    });
    return ok;
  }

  async writerAppliedSeq(pk: number, writer: string): Promise<number> {
    return this.#read('reading a writer seq', writerAppliedSeq(pk, writer));
  }

  async writerAppliedSeqs(keys: readonly { pk: number; writer: string }[]): Promise<number[]> {
    if (keys.length === 0) {
      this.#open();
      return [];
    }
    const rows = await this.#query<{ ord: number; applied_seq: number | null }>(
      'reading writer seqs',
      `SELECT w.ord, CASE WHEN w.label = '' THEN r.applied_seq ELSE rw.applied_seq END AS applied_seq
       FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS w(run_pk, label, ord)
       LEFT JOIN runs r ON w.label = '' AND r.pk = w.run_pk
       LEFT JOIN run_writers rw ON rw.run_pk = w.run_pk AND rw.label = w.label`,
      [keys.map((k) => k.pk), keys.map((k) => k.writer)],
    );
    const out = new Array<number>(keys.length).fill(0);
    for (const row of rows) out[row.ord - 1] = row.applied_seq ?? 0;
    return out;
  }

  async forkRun(sourcePk: number, maxStep: number, run: NewRun, event?: NewRunEvent, room?: RunRoom): Promise<StoredRun> {
    return this.#tx('forking a run', async (c) => {
      await checkRoom(c, run, room);
      const created = await insertRun(c, run);
      await drivePgProgram(c, copyHistory(created.pk, sourcePk, maxStep));
      if (event) await insertEvents(c, created.pk, [event]);
      return created;
    });
  }

  async rewindRun(pk: number, expectedVersion: number, afterStep: number, patch: RunPatch, event?: NewRunEvent): Promise<boolean> {
    return this.#tx('rewinding a run', async (c) => {
      if (!(await patchRun(c, pk, patch, expectedVersion))) return false;
      await truncateAfter(c, pk, afterStep);
      if (event) await insertEvents(c, pk, [event]);
      return true;
    });
  }

  async heartbeat(pk: number, at: number, runtime?: number): Promise<boolean> {
    const res = await this.#run(
      'recording a heartbeat',
      'UPDATE runs SET heartbeat_at = $1, runtime = greatest(runtime, coalesce($2::double precision, runtime)), updated_at = $3 WHERE pk = $4',
      [at, runtime ?? null, Date.now() / 1000, pk],
    );
    return (res.rowCount ?? 0) > 0;
  }

  async listProjects(entity?: string): Promise<ProjectInfo[]> {
    return this.#read('listing projects', listProjects(entity));
  }

  async countRuns(entity: string, project: string, upTo: number): Promise<number> {
    return this.#read('counting runs', countRuns(entity, project, upTo));
  }

  async listRuns(entity: string, project: string, filter: StoreRunFilter = {}): Promise<StoredRun[]> {
    const where = ['entity = $1', 'project = $2'];
    const params: unknown[] = [entity, project];
    const add = (sql: string, value: unknown): void => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.states) {
      if (filter.states.length === 0) {
        this.#open();
        return [];
      }
      add('state = ANY(?::text[])', filter.states);
    }
    if (filter.group !== undefined) add('run_group = ?', filter.group);
    if (filter.jobType !== undefined) add('job_type = ?', filter.jobType);
    if (filter.name !== undefined) add('name = ?', filter.name);
    for (const tag of filter.tags ?? []) add('tags::jsonb @> jsonb_build_array(?::text)', tag);
    for (const column of ['config', 'summary'] as const) {
      for (const [path, value] of Object.entries(filter[column] ?? {})) {
        const paths = filterPaths(path);
        if (!paths) continue;
        // jsonb equality is deep and ignores key order: it keeps every run the engine's exact check may keep.
        params.push(stringifyJson(value));
        const v = `$${params.length}::jsonb`;
        const alts = paths.map((segments) => {
          params.push(segments);
          return `${column}::jsonb #> $${params.length}::text[] = ${v}`;
        });
        where.push(`(${alts.join(' OR ')})`);
      }
    }
    if (filter.after) {
      params.push(filter.after.createdAt, filter.after.pk);
      where.push(`(created_at, pk) < ($${params.length - 1}, $${params.length})`);
    }
    params.push(filter.limit ?? null);
    const sql = `SELECT ${listColumns(filter.brief !== true)} FROM runs WHERE ${where.join(' AND ')} ORDER BY created_at DESC, pk DESC LIMIT $${params.length}`;
    // Not #runOf: a listing does not read the key index, so it must not be remembered as absent.
    return (await this.#query<PgRunRow>('listing runs', sql, params)).map((row) => runFromRow(row));
  }

  async listStaleRuns(states: RunState[], before: number): Promise<StoredRun[]> {
    this.#open();
    if (states.length === 0) return [];
    const rows = await this.#query<PgRunRow>(
      'listing stale runs',
      'SELECT * FROM runs WHERE state = ANY($1::text[]) AND coalesce(heartbeat_at, opened_at) < $2 ORDER BY pk',
      [states, before],
    );
    return rows.map((row) => this.#runOf(row));
  }

  async listHistoryKeys(pk: number, query: HistoryKeyQuery = {}): Promise<string[]> {
    // Keys under a prefix are compared bytewise (COLLATE "C") whatever the database's collation; a match scans
    // the run's keys on the (run_pk, key) index, at most maxKeysPerRun of them.
    const rows = await this.#query<{ key: string }>(
      'listing history keys',
      `SELECT key FROM history_keys
       WHERE run_pk = $1 AND ($2::boolean IS NOT TRUE OR left(key, 1) <> '_')
         AND ($3::text[] IS NULL OR key = ANY($3::text[])
              OR EXISTS (SELECT 1 FROM unnest($3::text[]) p WHERE key COLLATE "C" > p || '.' AND key COLLATE "C" < p || '/'))
       ORDER BY key_id LIMIT $4`,
      [pk, query.visibleOnly === true, query.match === undefined ? null : [...new Set(query.match)], query.limit ?? null],
    );
    return rows.map((r) => r.key);
  }

  async readHistory(pk: number, query: StepRange & { keys?: readonly string[] } = {}): Promise<HistoryColumns> {
    // One snapshot, like the SQLite store's read: no batch lands between the keys, chunks and JSON cells.
    return this.#tx('reading history', (c) => drivePgProgram(c, readHistory(pk, query)), 'BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
  }

  async compactHistory(options?: CompactionOptions): Promise<CompactionReport> {
    this.#open();
    try {
      return await compactHistory(this.#pool, (fn) => this.#tx('compacting history', fn), options);
    } catch (err) {
      throw toCohortError(err, 'compacting history');
    }
  }

  async readRowSteps(pk: number, query: StepRange & { limit?: number } = {}): Promise<Float64Array> {
    // A page read needs no snapshot: each statement sees committed chunks whole.
    return this.#read('reading row steps', readRowSteps(pk, query));
  }

  async lastAlert(scope: AlertScope, title: string): Promise<StoredAlert | undefined> {
    return this.#read('reading alerts', lastAlert(scope, title));
  }

  async listAlerts(pk: number): Promise<StoredAlert[]> {
    return this.#read('reading alerts', listAlerts(pk));
  }

  async listRunEvents(pk: number): Promise<StoredRunEvent[]> {
    return this.#read('reading run events', listRunEvents(pk));
  }

  async claimGroup(claim: GroupClaim, now: number): Promise<string> {
    return this.#tx('claiming a group', (c) => claimGroup(c, claim, now));
  }

  async announceGroup(key: GroupKey, announce: GroupAnnounce, now: number): Promise<StoredGroup> {
    return this.#tx('announcing a group', (c) => groups.announceGroup(c, key, announce, now));
  }

  async findGroup(key: GroupKey): Promise<StoredGroup | undefined> {
    return this.#tx('reading a group', (c) => groups.findGroup(c, key));
  }

  async listGroups(filter: GroupFilter = {}): Promise<StoredGroup[]> {
    return this.#tx('listing groups', (c) => groups.listGroups(c, filter));
  }

  async updateGroup(key: GroupKey, patch: GroupPatch, now: number): Promise<boolean> {
    return this.#tx('updating a group', async (c) =>
      patch.stalledAt === undefined ? (await groups.findGroup(c, key)) !== undefined : groups.setGroupStalled(c, key, patch.stalledAt, now),
    );
  }

  async readGroupAggregates(key: GroupKey, query: AggregateQuery = {}): Promise<AggregateCell[]> {
    return this.#tx('reading group aggregates', (c) => groups.readGroupAggregates(c, key, query));
  }

  async getRankProgress(runPk: number): Promise<RankProgress | undefined> {
    return this.#tx('reading rank progress', (c) => groups.getRankProgress(c, runPk));
  }

  async listRankProgress(runPks: readonly number[]): Promise<StoredRankProgress[]> {
    return this.#tx('listing rank progress', (c) => groups.listRankProgress(c, runPks));
  }

  async patchRankProgress(runPk: number, patch: Partial<RankProgress>): Promise<void> {
    await this.#tx('updating rank progress', (c) => groups.patchRankProgress(c, runPk, patch));
  }

  /** Ends the pool once its clients are back; later calls fail FAILED_PRECONDITION. Idempotent. */
  async readSystemMetrics(runPk: number, query: { since?: number; limit?: number } = {}): Promise<SystemSample[]> {
    return this.#tx('reading system metrics', (c) => groups.readSystemSamples(c, runPk, query));
  }

  async close(): Promise<void> {
    this.#closing ??= this.#pool.end().catch(() => {});
    await this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #open(): void {
    if (this.#closing) throw new CohortError('FAILED_PRECONDITION', 'store: the Postgres store is closed');
  }

  async #run(doing: string, text: string, values: unknown[]): Promise<pg.QueryResult> {
    this.#open();
    try {
      return await this.#pool.query(text, values);
    } catch (err) {
      throw toCohortError(err, doing);
    }
  }

  /** Drives a shared read program on the pool (no transaction: each of its statements reads committed rows). */
  async #read<T>(doing: string, program: SqlProgram<T>): Promise<T> {
    this.#open();
    try {
      return await drivePgProgram(this.#pool, program);
    } catch (err) {
      throw toCohortError(err, doing);
    }
  }

  async #query<T extends pg.QueryResultRow>(doing: string, text: string, values: unknown[]): Promise<T[]> {
    return (await this.#run(doing, text, values)).rows as T[];
  }

  /** A run from its row, its key index remembered for the commit that follows the read. */
  #runOf(row: PgRunRow): StoredRun {
    const run = runFromRow(row);
    this.#keyIndexes.remember(run.pk, run.version, row.history_index ?? null);
    return run;
  }

  /**
   * Runs `fn` in one transaction on one pooled connection: COMMIT when it
   * returns (also when it returns false: nothing was written), ROLLBACK when
   * it throws. A connection whose ROLLBACK failed is destroyed, not reused.
   */
  async #tx<T>(doing: string, fn: (c: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    this.#open();
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (err) {
      throw toCohortError(err, doing);
    }
    // A connection that dies between two queries emits 'error' on the client, which the pool only
    // listens to while the client is idle: without a listener it would take the process down.
    client.on('error', ignore);
    let broken: Error | undefined;
    try {
      await client.query(begin);
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
      }
      throw toCohortError(err, doing);
    } finally {
      client.off('error', ignore);
      client.release(broken);
    }
  }
}

/** The next query on the connection fails and is mapped; the event itself needs no action. */
function ignore(): void {}

function runFromRow(r: PgRunRow): StoredRun {
  return fromRow({ ...r, resumed: r.resumed ? 1 : 0 });
}

function compareGroups(a: GroupKey, b: GroupKey): number {
  const x = `${a.entity}/${a.project}/${a.group}`;
  const y = `${b.entity}/${b.project}/${b.group}`;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Removes a run's history after `afterStep`, and rebuilds its group's aggregates above it. */
async function truncateAfter(c: Queryable, pk: number, afterStep: number): Promise<void> {
  await drivePgProgram(c, truncateHistory(pk, afterStep));
  const run = (await c.query<{ entity: string; project: string; run_group: string }>('SELECT entity, project, run_group FROM runs WHERE pk = $1', [pk])).rows[0];
  if (run && run.run_group !== '') await groups.rebuildGroupCells(c, { entity: run.entity, project: run.project, group: run.run_group }, afterStep);
}

/**
 * `maxRunsPerProject` in the transaction that inserts the run: a per-project
 * advisory lock (held to the commit) makes concurrent creations in one
 * project, from any process, count one after the other (run-room.ts).
 */
async function checkRoom(c: Queryable, run: NewRun, room: RunRoom | undefined): Promise<void> {
  if (!room) return;
  await c.query("SELECT pg_advisory_xact_lock(hashtext('cohort.runs/' || $1 || '/' || $2))", [run.entity, run.project]);
  const n = await drivePgProgram(c, countRuns(run.entity, run.project, room.maxRunsPerProject));
  if (n >= room.maxRunsPerProject) throw noRoomForRun(run.entity, run.project, n, room.maxRunsPerProject);
}

async function insertRun(c: Queryable, run: NewRun): Promise<StoredRun> {
  const now = Date.now() / 1000;
  const p = toParams(run);
  const values = [run.entity, run.project, run.runId, ...FIELDS.map((f) => p[f] ?? null), now, now];
  try {
    const res = await c.query<PgRunRow>(INSERT_RUN, values);
    return runFromRow(res.rows[0]!);
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new CohortError('ALREADY_EXISTS', `run: a run with id "${run.runId}" already exists in ${run.entity}/${run.project}`, { cause: err });
    }
    throw err;
  }
}

/** One UPDATE of the given fields that bumps the version, guarded by it when given. Returns whether a row changed. */
async function patchRun(c: Queryable, pk: number, patch: RunPatch, expectedVersion: number | undefined): Promise<boolean> {
  const params = toParams(patch);
  const values: unknown[] = [];
  const sets: string[] = [];
  for (const field of Object.keys(params).sort()) {
    values.push(params[field]);
    sets.push(`${RUN_COLUMNS[field as keyof typeof RUN_COLUMNS].column} = $${values.length}`);
  }
  values.push(Date.now() / 1000);
  sets.push(`updated_at = $${values.length}`, 'version = version + 1');
  values.push(pk);
  let where = `pk = $${values.length}`;
  if (expectedVersion !== undefined) {
    values.push(expectedVersion);
    where += ` AND version = $${values.length}`;
  }
  const res = await c.query(`UPDATE runs SET ${sets.join(', ')} WHERE ${where}`, values);
  return (res.rowCount ?? 0) > 0;
}

async function insertAlerts(c: Queryable, pk: number, alerts: readonly NewAlert[]): Promise<void> {
  const flat: unknown[] = [];
  for (const a of alerts) flat.push(pk, a.title, a.text, a.level, a.timestamp, a.waitDurationMs, a.suppressed);
  await insertValues(c, 'INSERT INTO alerts (run_pk, title, text, level, timestamp, wait_duration_ms, suppressed)', 7, flat);
}

async function insertEvents(c: Queryable, pk: number, events: readonly NewRunEvent[]): Promise<void> {
  const flat: unknown[] = [];
  for (const e of events) flat.push(pk, e.state, e.at, e.detail);
  await insertValues(c, 'INSERT INTO run_events (run_pk, state, at, detail)', 4, flat);
}

