import { CohortError } from '@cohort/protocol';
import type { BatchCommit, JsonSeries, NumericSeries, RunFields } from '../types.js';
import { concatFloats } from '../sqlite/history-chunks.js';
import { RUN_COLUMNS, toParams } from '../sqlite/run-columns.js';
import { CHUNK_INSERT, CHUNK_WIDTH, MAX_PARAMS_PER_STATEMENT, decodeChunk, insertValues, pushChunkRows, type ChunkRow, type Queryable } from './pg-history.js';

/**
 * The statements of `commitBatches` that span every run of a job: one run
 * UPDATE per set of patched columns (usually one), one writer upsert, one
 * key resolution (which also takes out the tails to merge), one chunk
 * INSERT and one JSON INSERT, whatever the number of runs. Round trips, not CPU, bound a busy worker
 * (docs/scaled-mode.md), so a job costs about as many as one batch did.
 */

/**
 * A numeric tail chunk with fewer points than this is merged with the next
 * batch's cells of its key (taken out and written back grown); a bigger one
 * is left alone and the batch starts a new chunk. Lower than SQLite's
 * `CHUNK_MERGE_BELOW` (1024): here every merge carries the tail to the
 * worker and back and through the WAL again, so a run logging small
 * batches rewrote about 5 times what it logged. Measured with
 * bench/fan-in.mjs (64 ranks, half load, docs/scaled-mode.md): 1024 took
 * about 190 ms of apply per job, 256 about 130 ms; chunks stay at least 256
 * points (4 KiB of values), so reads still fetch few rows.
 */
export const PG_CHUNK_MERGE_BELOW = 256;

/** The Postgres type of each run column, for the casts of a multi-row UPDATE. */
const PG_TYPES: { readonly [K in keyof RunFields]-?: string } = {
  name: 'text',
  state: 'text',
  exitCode: 'integer',
  group: 'text',
  jobType: 'text',
  rank: 'integer',
  worldSize: 'integer',
  localRank: 'integer',
  node: 'text',
  tags: 'text',
  notes: 'text',
  configJson: 'text',
  summaryJson: 'text',
  summaryStateJson: 'text',
  metricsJson: 'text',
  startTime: 'double precision',
  endTime: 'double precision',
  heartbeatAt: 'double precision',
  runtime: 'double precision',
  runtimeBase: 'double precision',
  openedAt: 'double precision',
  lastStep: 'bigint',
  appliedSeq: 'bigint',
  sweepId: 'text',
  host: 'text',
  mode: 'text',
  forkedFrom: 'text',
  resumed: 'boolean',
};

/**
 * Applies each item's run patch (its applied seq included for the run's own
 * records) and bumps its version, only where the version is still the
 * expected one; the guarded UPDATE takes the row locks for the rest of the
 * transaction. Items are grouped by the set of fields they patch, one
 * statement per set (split only past {@link MAX_PARAMS_PER_STATEMENT}).
 * Answers, per item, whether its guard held.
 */
export async function updateRuns(c: Queryable, items: readonly BatchCommit[], now: number): Promise<boolean[]> {
  const bySet = new Map<string, Array<{ index: number; params: Record<string, unknown> }>>();
  items.forEach((item, index) => {
    const w = item.write;
    const params = toParams((w.writer ?? '') === '' ? { ...w.run, appliedSeq: w.appliedSeq } : { ...w.run });
    const set = Object.keys(params).sort().join(',');
    bySet.set(set, [...(bySet.get(set) ?? []), { index, params }]);
  });
  const passed = new Set<number>();
  for (const [set, group] of bySet) {
    const fields = (set === '' ? [] : set.split(',')) as Array<keyof RunFields>;
    const width = 2 + fields.length;
    const perStatement = Math.max(1, Math.floor((MAX_PARAMS_PER_STATEMENT - 1) / width));
    const sets = [...fields.map((f) => `${RUN_COLUMNS[f].column} = v.${RUN_COLUMNS[f].column}`), 'updated_at = $1', 'version = r.version + 1'];
    const names = ['pk', 'expected', ...fields.map((f) => RUN_COLUMNS[f].column)];
    for (let from = 0; from < group.length; from += perStatement) {
      const part = group.slice(from, from + perStatement);
      const values: unknown[] = [now];
      const tuples = part.map(({ index, params }) => {
        const item = items[index]!;
        values.push(item.pk, item.expectedVersion);
        const cells = [`$${values.length - 1}::bigint`, `$${values.length}::bigint`];
        for (const f of fields) {
          values.push(params[f]);
          cells.push(`$${values.length}::${PG_TYPES[f]}`);
        }
        return `(${cells.join(', ')})`;
      });
      const res = await c.query<{ pk: number }>(
        `UPDATE runs AS r SET ${sets.join(', ')} FROM (VALUES ${tuples.join(', ')}) AS v(${names.join(', ')})
         WHERE r.pk = v.pk AND r.version = v.expected RETURNING r.pk`,
        values,
      );
      for (const row of res.rows) passed.add(row.pk);
    }
  }
  return items.map((item) => passed.has(item.pk));
}

/** Sets the applied seq of each shared-mode writer among the items, in one statement. */
export async function upsertWriters(c: Queryable, items: readonly BatchCommit[]): Promise<void> {
  const flat: unknown[] = [];
  for (const { pk, write } of items) if ((write.writer ?? '') !== '') flat.push(pk, write.writer, write.appliedSeq);
  await insertValues(
    c,
    'INSERT INTO run_writers (run_pk, label, applied_seq)',
    3,
    flat,
    ' ON CONFLICT (run_pk, label) DO UPDATE SET applied_seq = excluded.applied_seq',
  );
}

/**
 * Resolves the keys of many runs in one round trip: adds the missing ones
 * (each run's new ids continuing its own, in the order given) and answers
 * every (run, key) id; for keys with numeric cells ($3) also its tail chunk,
 * which it deletes and returns with its blobs when it is small enough to be
 * merged (the caller writes it back grown; a failed check rolls the whole
 * transaction back). Runs under the runs' row locks, taken by the version
 * guards, so two appliers never hand out one id twice.
 */
const RESOLVE_KEYS = `
WITH wanted AS (
  SELECT run_pk, key, numeric, ord FROM unnest($1::bigint[], $2::text[], $3::boolean[]) WITH ORDINALITY AS w(run_pk, key, numeric, ord)
),
known AS (
  SELECT w.run_pk, w.key, w.numeric, k.key_id FROM wanted w JOIN history_keys k ON k.run_pk = w.run_pk AND k.key = w.key
),
missing AS (
  SELECT w.run_pk, w.key, w.ord FROM wanted w
  WHERE NOT EXISTS (SELECT 1 FROM known k WHERE k.run_pk = w.run_pk AND k.key = w.key)
),
base AS (
  SELECT m.run_pk, coalesce((SELECT max(h.key_id) + 1 FROM history_keys h WHERE h.run_pk = m.run_pk), 0) AS next
  FROM (SELECT DISTINCT run_pk FROM missing) m
),
added AS (
  INSERT INTO history_keys (run_pk, key_id, key)
  SELECT m.run_pk, b.next + row_number() OVER (PARTITION BY m.run_pk ORDER BY m.ord) - 1, m.key FROM missing m JOIN base b ON b.run_pk = m.run_pk
  RETURNING run_pk, key, key_id
),
tails AS (
  SELECT k.run_pk, k.key, k.key_id, t.id, t.first_step, t.last_step, t.n
  FROM known k LEFT JOIN LATERAL (
    SELECT c.id, c.first_step, c.last_step, c.n FROM history_chunks c
    WHERE k.numeric AND c.run_pk = k.run_pk AND c.key_id = k.key_id ORDER BY c.last_step DESC LIMIT 1
  ) t ON true
),
merged AS (
  -- By primary key (= ANY of an array): a join with the tails CTE may be planned as a scan of every chunk.
  DELETE FROM history_chunks c WHERE c.id = ANY(ARRAY(SELECT t.id FROM tails t WHERE t.n < $4)) RETURNING c.id, c.steps, c.vals
)
SELECT t.run_pk, t.key, t.key_id, t.id, t.first_step, t.last_step, t.n, m.steps, m.vals FROM tails t LEFT JOIN merged m ON m.id = t.id
UNION ALL SELECT run_pk, key, key_id, NULL, NULL, NULL, NULL, NULL, NULL FROM added`;

/** The history one run's batch writes. */
export interface RunHistory {
  pk: number;
  numeric: readonly NumericSeries[];
  json: readonly JsonSeries[];
}

/** One run's cells, checked and grouped by key. */
interface GroupedHistory {
  pk: number;
  numeric: Map<string, { steps: Float64Array; values: Float64Array }>;
  json: Map<string, Map<number, string>>;
}

/**
 * The history of many runs' batches: every run's keys resolved and small
 * tails ({@link PG_CHUNK_MERGE_BELOW}) taken out in one round trip, the
 * tails merged with the new cells (chunks split as SQLite splits them), then
 * every chunk in one multi-row INSERT and every JSON cell in another. Each
 * run's series are checked before any I/O.
 */
export async function writeHistories(c: Queryable, runs: readonly RunHistory[]): Promise<void> {
  const grouped = runs.map(groupHistory);
  const pks: number[] = [];
  const keys: string[] = [];
  const numeric: boolean[] = [];
  for (const g of grouped) {
    // Keys get ids in the order SQLite gives them: numeric first, then JSON.
    for (const key of new Set([...g.numeric.keys(), ...g.json.keys()])) {
      pks.push(g.pk);
      keys.push(key);
      numeric.push(g.numeric.has(key));
    }
  }
  if (keys.length === 0) return;
  const resolved = await c.query<ChunkRow & { run_pk: number; key: string; id: number | null }>(RESOLVE_KEYS, [pks, keys, numeric, PG_CHUNK_MERGE_BELOW]);
  const byRun = new Map<number, Map<string, ChunkRow & { id: number | null }>>();
  for (const r of resolved.rows) {
    let m = byRun.get(r.run_pk);
    if (!m) byRun.set(r.run_pk, (m = new Map()));
    m.set(r.key, r);
  }
  const chunkRows: unknown[] = [];
  const jsonRows: unknown[] = [];
  for (const g of grouped) {
    const byKey = byRun.get(g.pk)!;
    for (const [key, series] of g.numeric) {
      const r = byKey.get(key)!;
      let { steps, values } = series;
      if (r.id !== null) {
        if (r.last_step >= steps[0]!) throw stepsMustIncrease(key, steps[0]!, r.last_step);
        if (r.n < PG_CHUNK_MERGE_BELOW) {
          // Small batches would leave a million tiny chunks: grow the tail (deleted by RESOLVE_KEYS) instead.
          const tail = decodeChunk(r);
          steps = concatFloats([tail.steps, steps]);
          values = concatFloats([tail.values, values]);
        }
      }
      pushChunkRows(chunkRows, g.pk, r.key_id, steps, values);
    }
    for (const [key, cells] of g.json) {
      const keyId = byKey.get(key)!.key_id;
      for (const [step, text] of cells) jsonRows.push(g.pk, step, keyId, text);
    }
  }
  await insertValues(c, CHUNK_INSERT, CHUNK_WIDTH, chunkRows);
  await insertValues(
    c,
    'INSERT INTO history_json (run_pk, step, key_id, json)',
    4,
    jsonRows,
    ' ON CONFLICT (run_pk, step, key_id) DO UPDATE SET json = excluded.json',
  );
}

/** Checks one run's series and groups them by key (a key given twice is concatenated; the last JSON cell of a step wins). */
function groupHistory(run: RunHistory): GroupedHistory {
  const numeric = new Map<string, { steps: Float64Array; values: Float64Array }>();
  for (const s of run.numeric) {
    if (s.steps.length === 0) continue;
    if (s.steps.length !== s.values.length) {
      throw new CohortError('INVALID_ARGUMENT', `history: key "${s.key}" has ${s.steps.length} steps but ${s.values.length} values`);
    }
    const prev = numeric.get(s.key);
    if (!prev) {
      numeric.set(s.key, { steps: s.steps, values: s.values });
      continue;
    }
    const held = prev.steps[prev.steps.length - 1]!;
    if (held >= s.steps[0]!) throw stepsMustIncrease(s.key, s.steps[0]!, held);
    numeric.set(s.key, { steps: concatFloats([prev.steps, s.steps]), values: concatFloats([prev.values, s.values]) });
  }
  const json = new Map<string, Map<number, string>>();
  for (const s of run.json) {
    if (s.steps.length !== s.values.length) {
      throw new CohortError('INVALID_ARGUMENT', `history: key "${s.key}" has ${s.steps.length} steps but ${s.values.length} values`);
    }
    if (s.steps.length === 0) continue;
    let cells = json.get(s.key);
    if (!cells) json.set(s.key, (cells = new Map()));
    // The last cell of a (step, key) wins, as with SQLite's INSERT OR REPLACE.
    for (let i = 0; i < s.steps.length; i++) cells.set(s.steps[i]!, s.values[i]!);
  }
  return { pk: run.pk, numeric, json };
}

function stepsMustIncrease(key: string, step: number, held: number): CohortError {
  return new CohortError('FAILED_PRECONDITION', `history: key "${key}" gets step ${step} but already holds step ${held}; steps must increase`);
}
