import type Database from 'better-sqlite3';
import type { NumericSeries } from '../types.js';
import {
  isAggregatedKey,
  type AggregateCell,
  type AggregateQuery,
  type GroupAnnounce,
  type GroupFilter,
  type GroupKey,
  type GroupPatch,
  type RankProgress,
  type StoredGroup,
  type StoredRankProgress,
  type SystemSample,
} from '../group-types.js';
import { decodeFloats, decodeSteps, upperBound } from './history-chunks.js';
import { DEFAULT_AGGREGATE_LIMIT, PROGRESS_COLUMNS, groupFromRow, progressFromRow, type GroupRow, type ProgressRow } from '../group-rows.js';
import { chunkOf, chunkRanges, collectAggCells, decodeAggChunk, encodeAggChunk, mergeSeriesIntoChunk, trimAggChunk, type AggChunk } from '../aggregate-chunks.js';
import { NUMBER_RECORD, readStoredJson } from '../stored-json.js';

const MAX_STEP = Number.MAX_SAFE_INTEGER;
const MIN_STEP = Number.MIN_SAFE_INTEGER;

/**
 * The group tables of the SQLite store (`group-schema.ts`). Synchronous:
 * {@link SqliteStore} calls it inside its own transactions.
 */
export class SqliteGroups {
  readonly #db: Database.Database;
  readonly #s;
  readonly #progressUpdates = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
    this.#s = {
      find: db.prepare('SELECT * FROM groups WHERE entity = ? AND project = ? AND name = ?'),
      insert: db.prepare(
        'INSERT INTO groups (entity, project, name, world_size, primary_rank, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (entity, project, name) DO NOTHING',
      ),
      widen: db.prepare(
        `UPDATE groups SET world_size = CASE WHEN @ws IS NULL THEN world_size ELSE max(coalesce(world_size, 0), @ws) END,
           primary_rank = coalesce(@primary, primary_rank), updated_at = @now WHERE pk = @pk`,
      ),
      setStalled: db.prepare('UPDATE groups SET stalled_at = ?, updated_at = ? WHERE entity = ? AND project = ? AND name = ?'),
      chunk: db.prepare('SELECT cells FROM group_aggregates WHERE group_pk = ? AND key = ? AND chunk = ?'),
      putChunk: db.prepare('INSERT OR REPLACE INTO group_aggregates (group_pk, key, chunk, cells) VALUES (?, ?, ?, ?)'),
      chunksFrom: db.prepare('SELECT key, chunk, cells FROM group_aggregates WHERE group_pk = ? AND chunk >= ?'),
      deleteChunk: db.prepare('DELETE FROM group_aggregates WHERE group_pk = ? AND key = ? AND chunk = ?'),
      deleteChunksAfter: db.prepare('DELETE FROM group_aggregates WHERE group_pk = ? AND chunk > ?'),
      members: db.prepare('SELECT pk FROM runs WHERE entity = ? AND project = ? AND run_group = ?'),
      memberKeys: db.prepare('SELECT key_id, key FROM history_keys WHERE run_pk = ?'),
      memberChunks: db.prepare('SELECT first_step, last_step, n, steps, vals FROM history_chunks WHERE run_pk = ? AND key_id = ? AND last_step > ? ORDER BY last_step'),
      progress: db.prepare('SELECT * FROM rank_progress WHERE run_pk = ?'),
      insertSystem: db.prepare('INSERT INTO system_metrics (run_pk, at, label, metrics) VALUES (?, ?, ?, ?)'),
      readSystem: db.prepare('SELECT at, label, metrics FROM system_metrics WHERE run_pk = ? AND at >= ? ORDER BY at, rowid LIMIT ?'),
      ensureProgress: db.prepare('INSERT INTO rank_progress (run_pk) VALUES (?) ON CONFLICT (run_pk) DO NOTHING'),
    };
  }

  announce(key: GroupKey, a: GroupAnnounce, now: number): StoredGroup {
    return this.#db.transaction(() => {
      this.#s.insert.run(key.entity, key.project, key.group, a.worldSize, a.primaryRank ?? 0, now, now);
      const row = this.#s.find.get(key.entity, key.project, key.group) as GroupRow;
      if ((a.worldSize !== null && a.worldSize > (row.world_size ?? 0)) || (a.primaryRank !== null && a.primaryRank !== row.primary_rank)) {
        this.#s.widen.run({ ws: a.worldSize, primary: a.primaryRank, now, pk: row.pk });
        return groupFromRow(this.#s.find.get(key.entity, key.project, key.group) as GroupRow);
      }
      return groupFromRow(row);
    })();
  }

  find(key: GroupKey): StoredGroup | undefined {
    const row = this.#s.find.get(key.entity, key.project, key.group) as GroupRow | undefined;
    return row && groupFromRow(row);
  }

  list(filter: GroupFilter): StoredGroup[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.entity !== undefined) {
      where.push('g.entity = ?');
      params.push(filter.entity);
    }
    if (filter.project !== undefined) {
      where.push('g.project = ?');
      params.push(filter.project);
    }
    if (filter.active) {
      where.push(
        "EXISTS (SELECT 1 FROM runs r WHERE r.entity = g.entity AND r.project = g.project AND r.run_group = g.name AND r.state IN ('running', 'preempting'))",
      );
    }
    const sql = `SELECT g.* FROM groups g ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY g.entity, g.project, g.name`;
    return (this.#db.prepare(sql).all(...params) as GroupRow[]).map(groupFromRow);
  }

  update(key: GroupKey, patch: GroupPatch, now: number): boolean {
    if (patch.stalledAt === undefined) return this.find(key) !== undefined;
    return this.#s.setStalled.run(patch.stalledAt, now, key.entity, key.project, key.group).changes > 0;
  }

  readAggregates(key: GroupKey, q: AggregateQuery): AggregateCell[] {
    const g = this.#s.find.get(key.entity, key.project, key.group) as GroupRow | undefined;
    if (!g || (q.keys && q.keys.length === 0)) return [];
    const min = q.minStep ?? MIN_STEP;
    const max = q.maxStep ?? MAX_STEP;
    const where = ['group_pk = ?', 'chunk >= ?', 'chunk <= ?'];
    const params: unknown[] = [g.pk, chunkOf(Math.max(min, MIN_STEP)), chunkOf(Math.min(max, MAX_STEP))];
    if (q.keys) {
      where.push(`key IN (${q.keys.map(() => '?').join(', ')})`);
      params.push(...q.keys);
    }
    const limit = q.limit ?? DEFAULT_AGGREGATE_LIMIT;
    const out: AggregateCell[] = [];
    const rows = this.#db.prepare(`SELECT key, cells FROM group_aggregates WHERE ${where.join(' AND ')} ORDER BY key, chunk`).iterate(...params) as IterableIterator<{ key: string; cells: Buffer }>;
    for (const r of rows) {
      collectAggCells(r.key, decodeAggChunk(r.cells), min, max, out, limit);
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * Merges one rank's numeric series into the group's chunks (inside the
   * caller's transaction): one read and one write per metric and chunk.
   */
  addSeries(key: GroupKey, series: readonly NumericSeries[]): void {
    const wanted = series.filter((x) => isAggregatedKey(x.key) && x.steps.length > 0);
    if (wanted.length === 0) return;
    const pk = this.#pk(key);
    const merged = new Map<string, AggChunk>();
    for (const x of wanted) {
      for (const [chunk, from, to] of chunkRanges(x.steps)) {
        const id = `${chunk}\u0000${x.key}`;
        let current = merged.get(id);
        if (current === undefined) {
          const row = this.#s.chunk.get(pk, x.key, chunk) as { cells: Buffer } | undefined;
          if (row) current = decodeAggChunk(row.cells);
        }
        merged.set(id, mergeSeriesIntoChunk(current, x.steps, x.values, from, to));
      }
    }
    for (const [id, cells] of merged) {
      if (cells.steps.length === 0) continue;
      const sep = id.indexOf('\u0000');
      this.#s.putChunk.run(pk, id.slice(sep + 1), Number(id.slice(0, sep)), encodeAggChunk(cells));
    }
  }

  /**
   * Recomputes the group's cells above `afterStep` from its members' stored
   * history (inside the caller's transaction, after a member was rewound):
   * min and max cannot be un-merged, so the cells are rebuilt.
   */
  rebuildAfter(key: GroupKey, afterStep: number): void {
    const g = this.#s.find.get(key.entity, key.project, key.group) as GroupRow | undefined;
    if (!g) return;
    // Cut the group's cells above the rewind point: later chunks go, the chunk holding it is trimmed.
    const edge = chunkOf(afterStep);
    this.#s.deleteChunksAfter.run(g.pk, edge);
    for (const r of this.#s.chunksFrom.all(g.pk, edge) as Array<{ key: string; chunk: number; cells: Buffer }>) {
      const kept = trimAggChunk(decodeAggChunk(r.cells), afterStep);
      if (kept) this.#s.putChunk.run(g.pk, r.key, r.chunk, encodeAggChunk(kept));
      else this.#s.deleteChunk.run(g.pk, r.key, r.chunk);
    }
    for (const { pk } of this.#s.members.all(key.entity, key.project, key.group) as Array<{ pk: number }>) {
      const series: NumericSeries[] = [];
      for (const k of this.#s.memberKeys.all(pk) as Array<{ key_id: number; key: string }>) {
        if (!isAggregatedKey(k.key)) continue;
        for (const c of this.#s.memberChunks.iterate(pk, k.key_id, afterStep) as IterableIterator<{ first_step: number; n: number; steps: Buffer | null; vals: Buffer }>) {
          const steps = decodeSteps(c.steps, c.first_step, c.n);
          const from = c.first_step > afterStep ? 0 : upperBound(steps, afterStep);
          series.push({ key: k.key, steps: steps.subarray(from), values: decodeFloats(c.vals).subarray(from) });
        }
      }
      this.addSeries(key, series);
    }
  }

  getProgress(runPk: number): RankProgress | undefined {
    const row = this.#s.progress.get(runPk) as ProgressRow | undefined;
    return row && progressFromRow(row);
  }

  listProgress(runPks: readonly number[]): StoredRankProgress[] {
    const out: StoredRankProgress[] = [];
    for (const pk of runPks) {
      const row = this.#s.progress.get(pk) as ProgressRow | undefined;
      if (row) out.push({ runPk: pk, ...progressFromRow(row) });
    }
    return out;
  }

  /** Sets the given progress fields (inside the caller's transaction, or alone). */
  patchProgress(runPk: number, patch: Partial<RankProgress>): void {
    const fields = (Object.keys(patch) as Array<keyof RankProgress>).filter((f) => patch[f] !== undefined).sort();
    this.#s.ensureProgress.run(runPk);
    if (fields.length === 0) return;
    const sig = fields.join(',');
    let stmt = this.#progressUpdates.get(sig);
    if (!stmt) {
      stmt = this.#db.prepare(`UPDATE rank_progress SET ${fields.map((f) => `${PROGRESS_COLUMNS[f]} = @${f}`).join(', ')} WHERE run_pk = @pk__`);
      this.#progressUpdates.set(sig, stmt);
    }
    const params: Record<string, unknown> = { pk__: runPk };
    for (const f of fields) {
      const v = patch[f];
      params[f] = typeof v === 'boolean' ? (v ? 1 : 0) : Array.isArray(v) ? JSON.stringify(v) : v;
    }
    stmt.run(params);
  }

  /** Stores system metric samples (inside the caller's transaction). */
  addSystem(runPk: number, samples: readonly SystemSample[]): void {
    for (const x of samples) this.#s.insertSystem.run(runPk, x.at, x.label, JSON.stringify(x.metrics));
  }

  readSystem(runPk: number, q: { since?: number; limit?: number }): SystemSample[] {
    const rows = this.#s.readSystem.all(runPk, q.since ?? 0, q.limit ?? 10_000) as Array<{ at: number; label: string; metrics: string }>;
    return rows.map((r) => ({ at: r.at, label: r.label, metrics: readStoredJson(r.metrics, NUMBER_RECORD, `system metrics of run ${runPk}: column metrics`) }));
  }

  #pk(key: GroupKey): number {
    let row = this.#s.find.get(key.entity, key.project, key.group) as GroupRow | undefined;
    if (!row) {
      // A batch of a member whose group was never announced (an older run): register it now.
      this.announce(key, { worldSize: null, primaryRank: null }, Date.now() / 1000);
      row = this.#s.find.get(key.entity, key.project, key.group) as GroupRow;
    }
    return row.pk;
  }
}
