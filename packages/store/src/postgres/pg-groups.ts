import type { NumericSeries } from '../types.js';
import {
  isAggregatedKey,
  type AggregateCell,
  type AggregateQuery,
  type GroupAnnounce,
  type GroupFilter,
  type GroupKey,
  type RankProgress,
  type StoredGroup,
  type StoredRankProgress,
  type SystemSample,
} from '../group-types.js';
import { insertValues, type Queryable } from './pg-history.js';
import { decodeChunk, type ChunkRow } from '../history/chunk-rows.js';
import { DEFAULT_AGGREGATE_LIMIT, PROGRESS_COLUMNS, groupFromRow, progressFromRow, type GroupRow, type ProgressRow } from '../group-rows.js';
import { chunkOf, chunkRanges, collectAggCells, decodeAggChunk, encodeAggChunk, mergeSeriesIntoChunk, trimAggChunk, type AggChunk } from '../aggregate-chunks.js';
import { NUMBER_RECORD, readStoredJson } from '../stored-json.js';

const MAX_STEP = Number.MAX_SAFE_INTEGER;
const MIN_STEP = Number.MIN_SAFE_INTEGER;
/** First key of the per-group advisory lock ("Grp"): aggregate writes and rebuilds of one group never interleave. */
const GROUP_LOCK_CLASS = 0x477270;

/** Creates the group if missing, widens its world size and takes an announced primary. */
export async function announceGroup(c: Queryable, key: GroupKey, a: GroupAnnounce, now: number): Promise<StoredGroup> {
  const res = await c.query<GroupRow>(
    `INSERT INTO groups (entity, project, name, world_size, primary_rank, created_at, updated_at) VALUES ($1, $2, $3, $4, coalesce($5, 0), $6, $6)
     ON CONFLICT (entity, project, name) DO UPDATE SET
       world_size = CASE WHEN excluded.world_size IS NULL THEN groups.world_size ELSE greatest(coalesce(groups.world_size, 0), excluded.world_size) END,
       primary_rank = coalesce($5, groups.primary_rank),
       updated_at = CASE WHEN $5 IS NOT NULL OR excluded.world_size > coalesce(groups.world_size, 0) THEN $6 ELSE groups.updated_at END
     RETURNING *`,
    [key.entity, key.project, key.group, a.worldSize, a.primaryRank, now],
  );
  return groupFromRow(res.rows[0]!);
}

export async function findGroup(c: Queryable, key: GroupKey): Promise<StoredGroup | undefined> {
  const row = (await c.query<GroupRow>('SELECT * FROM groups WHERE entity = $1 AND project = $2 AND name = $3', [key.entity, key.project, key.group])).rows[0];
  return row && groupFromRow(row);
}

export async function listGroups(c: Queryable, filter: GroupFilter): Promise<StoredGroup[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.entity !== undefined) {
    params.push(filter.entity);
    where.push(`g.entity = $${params.length}`);
  }
  if (filter.project !== undefined) {
    params.push(filter.project);
    where.push(`g.project = $${params.length}`);
  }
  if (filter.active) {
    where.push(
      "EXISTS (SELECT 1 FROM runs r WHERE r.entity = g.entity AND r.project = g.project AND r.run_group = g.name AND r.state IN ('running', 'preempting'))",
    );
  }
  const sql = `SELECT g.* FROM groups g ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY g.entity, g.project, g.name`;
  return (await c.query<GroupRow>(sql, params)).rows.map(groupFromRow);
}

export async function setGroupStalled(c: Queryable, key: GroupKey, stalledAt: number | null, now: number): Promise<boolean> {
  const res = await c.query('UPDATE groups SET stalled_at = $1, updated_at = $2 WHERE entity = $3 AND project = $4 AND name = $5', [
    stalledAt,
    now,
    key.entity,
    key.project,
    key.group,
  ]);
  return (res.rowCount ?? 0) > 0;
}

export async function readGroupAggregates(c: Queryable, key: GroupKey, q: AggregateQuery): Promise<AggregateCell[]> {
  if (q.keys && q.keys.length === 0) return [];
  const min = q.minStep ?? MIN_STEP;
  const max = q.maxStep ?? MAX_STEP;
  const limit = q.limit ?? DEFAULT_AGGREGATE_LIMIT;
  const rows = (
    await c.query<{ key: string; cells: Buffer }>(
      `SELECT a.key, a.cells FROM group_aggregates a JOIN groups g ON g.pk = a.group_pk
       WHERE g.entity = $1 AND g.project = $2 AND g.name = $3 AND a.chunk >= $4 AND a.chunk <= $5
         AND ($6::text[] IS NULL OR a.key = ANY($6::text[]))
       ORDER BY a.key, a.chunk`,
      [key.entity, key.project, key.group, chunkOf(min), chunkOf(max), q.keys ? [...q.keys] : null],
    )
  ).rows;
  const out: AggregateCell[] = [];
  for (const r of rows) {
    collectAggCells(r.key, decodeAggChunk(r.cells), min, max, out, limit);
    if (out.length >= limit) break;
  }
  return out;
}

/** The group's pk, registering it when missing; takes the group's advisory lock for this transaction. */
async function lockedGroupPk(c: Queryable, key: GroupKey): Promise<number> {
  await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [GROUP_LOCK_CLASS, `${key.entity}/${key.project}/${key.group}`]);
  const found = await findGroupPk(c, key);
  if (found !== undefined) return found;
  await announceGroup(c, key, { worldSize: null, primaryRank: null }, Date.now() / 1000);
  return (await findGroupPk(c, key))!;
}

async function findGroupPk(c: Queryable, key: GroupKey): Promise<number | undefined> {
  const row = (await c.query<{ pk: number }>('SELECT pk FROM groups WHERE entity = $1 AND project = $2 AND name = $3', [key.entity, key.project, key.group])).rows[0];
  return row === undefined ? undefined : Number(row.pk);
}

/** Writes whole chunks (insert or replace). */
async function putChunks(c: Queryable, pk: number, chunks: ReadonlyArray<[key: string, chunk: number, cells: AggChunk]>): Promise<void> {
  const flat: unknown[] = [];
  for (const [k, chunk, cells] of chunks) flat.push(pk, k, chunk, encodeAggChunk(cells));
  if (flat.length > 0) {
    await insertValues(c, 'INSERT INTO group_aggregates (group_pk, key, chunk, cells)', 4, flat, ' ON CONFLICT (group_pk, key, chunk) DO UPDATE SET cells = excluded.cells');
  }
}

/**
 * Merges one rank's numeric series (metrics only) into the group's chunks
 * (inside the caller's transaction, under the group's advisory lock): one
 * read of the chunks touched, a merge in memory, one multi-row write; never
 * a statement per point.
 */
export async function addGroupSeries(c: Queryable, key: GroupKey, series: readonly NumericSeries[]): Promise<void> {
  const wanted = series.filter((x) => isAggregatedKey(x.key) && x.steps.length > 0);
  if (wanted.length === 0) return;
  const pk = await lockedGroupPk(c, key);
  const ranges = wanted.map((x) => chunkRanges(x.steps));
  const keys: string[] = [];
  const chunks: number[] = [];
  wanted.forEach((x, i) => {
    for (const [chunk] of ranges[i]!) {
      keys.push(x.key);
      chunks.push(chunk);
    }
  });
  const merged = new Map<string, AggChunk>();
  for (const r of (
    await c.query<{ key: string; chunk: number; cells: Buffer }>(
      `SELECT a.key, a.chunk, a.cells FROM group_aggregates a JOIN unnest($2::text[], $3::bigint[]) AS w(key, chunk) ON a.key = w.key AND a.chunk = w.chunk
       WHERE a.group_pk = $1`,
      [pk, keys, chunks],
    )
  ).rows) {
    merged.set(`${r.chunk}\u0000${r.key}`, decodeAggChunk(r.cells));
  }
  wanted.forEach((x, i) => {
    for (const [chunk, from, to] of ranges[i]!) {
      const id = `${chunk}\u0000${x.key}`;
      merged.set(id, mergeSeriesIntoChunk(merged.get(id), x.steps, x.values, from, to));
    }
  });
  const out: Array<[string, number, AggChunk]> = [];
  for (const [id, cells] of merged) {
    const sep = id.indexOf('\u0000');
    if (cells.steps.length > 0) out.push([id.slice(sep + 1), Number(id.slice(0, sep)), cells]);
  }
  await putChunks(c, pk, out);
}

/** Recomputes the group's cells above `afterStep` from its members' history (inside the caller's transaction). */
export async function rebuildGroupCells(c: Queryable, key: GroupKey, afterStep: number): Promise<void> {
  const pk = await lockedGroupPk(c, key);
  const edge = chunkOf(afterStep);
  await c.query('DELETE FROM group_aggregates WHERE group_pk = $1 AND chunk > $2', [pk, edge]);
  for (const r of (await c.query<{ key: string; cells: Buffer }>('SELECT key, cells FROM group_aggregates WHERE group_pk = $1 AND chunk = $2', [pk, edge])).rows) {
    const kept = trimAggChunk(decodeAggChunk(r.cells), afterStep);
    if (kept) await putChunks(c, pk, [[r.key, edge, kept]]);
    else await c.query('DELETE FROM group_aggregates WHERE group_pk = $1 AND key = $2 AND chunk = $3', [pk, r.key, edge]);
  }
  const members = (await c.query<{ pk: number }>('SELECT pk FROM runs WHERE entity = $1 AND project = $2 AND run_group = $3', [key.entity, key.project, key.group])).rows;
  // The members' pks as a parameter, on both history tables: each is pruned to the members' partitions (pg-history-partitions.ts).
  const rows = (
    await c.query<ChunkRow & { key: string }>(
      `SELECT k.key, ch.id, ch.key_id, ch.first_step, ch.last_step, ch.n, ch.steps, ch.vals
       FROM history_keys k JOIN history_chunks ch ON ch.run_pk = k.run_pk AND ch.key_id = k.key_id
       WHERE k.run_pk = ANY($1::bigint[]) AND ch.run_pk = ANY($1::bigint[]) AND ch.last_step > $2
       ORDER BY k.run_pk, k.key_id, ch.last_step`,
      [members.map((m) => m.pk), afterStep],
    )
  ).rows;
  const series: NumericSeries[] = [];
  for (const row of rows) {
    if (!isAggregatedKey(row.key)) continue;
    const { steps, values } = decodeChunk(row);
    let from = 0;
    while (from < steps.length && steps[from]! <= afterStep) from++;
    series.push({ key: row.key, steps: steps.subarray(from), values: values.subarray(from) });
  }
  await addGroupSeries(c, key, series);
}

export async function getRankProgress(c: Queryable, runPk: number): Promise<RankProgress | undefined> {
  const row = (await c.query<ProgressRow>('SELECT * FROM rank_progress WHERE run_pk = $1', [runPk])).rows[0];
  return row && progressFromRow(row);
}

export async function listRankProgress(c: Queryable, runPks: readonly number[]): Promise<StoredRankProgress[]> {
  if (runPks.length === 0) return [];
  const rows = (await c.query<ProgressRow>('SELECT * FROM rank_progress WHERE run_pk = ANY($1::bigint[])', [[...runPks]])).rows;
  return rows.map((r) => ({ runPk: Number(r.run_pk), ...progressFromRow(r) }));
}

/** Sets the given progress fields of a run, creating its row. */
export async function patchRankProgress(c: Queryable, runPk: number, patch: Partial<RankProgress>): Promise<void> {
  const fields = (Object.keys(patch) as Array<keyof RankProgress>).filter((f) => patch[f] !== undefined).sort();
  const values: unknown[] = [runPk];
  for (const f of fields) {
    const v = patch[f];
    values.push(Array.isArray(v) ? JSON.stringify(v) : v);
  }
  const cols = fields.map((f) => PROGRESS_COLUMNS[f]);
  const sets = cols.map((col) => `${col} = excluded.${col}`);
  await c.query(
    `INSERT INTO rank_progress (run_pk${cols.map((col) => `, ${col}`).join('')}) VALUES ($1${cols.map((_, i) => `, $${i + 2}`).join('')})
     ON CONFLICT (run_pk) DO ${sets.length > 0 ? `UPDATE SET ${sets.join(', ')}` : 'NOTHING'}`,
    values,
  );
}

/** Stores system metric samples (inside the caller's transaction). */
export async function addSystemSamples(c: Queryable, runPk: number, samples: readonly SystemSample[]): Promise<void> {
  const flat: unknown[] = [];
  for (const x of samples) flat.push(runPk, x.at, x.label, JSON.stringify(x.metrics));
  if (flat.length > 0) await insertValues(c, 'INSERT INTO system_metrics (run_pk, at, label, metrics)', 4, flat);
}

export async function readSystemSamples(c: Queryable, runPk: number, q: { since?: number; limit?: number }): Promise<SystemSample[]> {
  const rows = (
    await c.query<{ at: number; label: string; metrics: string }>('SELECT at, label, metrics FROM system_metrics WHERE run_pk = $1 AND at >= $2 ORDER BY at LIMIT $3', [
      runPk,
      q.since ?? 0,
      q.limit ?? 10_000,
    ])
  ).rows;
  return rows.map((r) => ({ at: r.at, label: r.label, metrics: readStoredJson(r.metrics, NUMBER_RECORD, `system metrics of run ${runPk}: column metrics`) }));
}
