import { pgOnly, sql, type SqlProgram } from '../artifacts/sql-program.js';
import { CHUNK_MAX_POINTS, concatFloats, encodeFloats, encodeSteps } from '../sqlite/history-chunks.js';
import type { HistoryColumns, StepRange } from '../types.js';
import { collectRange, trimChunk, type ChunkRow } from './chunk-rows.js';

/**
 * History reads, rewinds and forks written once for both SQL stores, as
 * {@link SqlProgram}s (artifacts/sql-program.ts): the SQLite store drives them
 * synchronously inside its transaction, the Postgres store on its
 * transaction's connection. Writes stay per engine (SQLite grows a key's tail
 * chunk in place; Postgres commits many runs' cells in a few statements).
 */

const MIN_STEP = Number.MIN_SAFE_INTEGER;
const MAX_STEP = Number.MAX_SAFE_INTEGER;
/** The key every row carries, so its steps are the run's row steps. */
export const ROW_KEY = '_timestamp';
/** Chunks fetched per statement while a limited step read pages through a key. */
const ROW_STEP_PAGE = 16;
/** Values in one `IN (...)` list, far below both dialects' parameter limits. */
const IN_LIST_MAX = 500;

const CHUNK_COLUMNS = 'id, key_id, first_step, last_step, n, steps, vals';

const CHUNKS_SPANNING = `SELECT ${CHUNK_COLUMNS} FROM history_chunks WHERE run_pk = ? AND first_step <= ? AND last_step > ?`;

/** The run's pk three times: named in each table, so each is pruned to the run's partition (Postgres) whatever join the planner picks. */
const DELETE_EMPTY_KEYS = `DELETE FROM history_keys WHERE run_pk = ?
  AND NOT EXISTS (SELECT 1 FROM history_chunks c WHERE c.run_pk = ? AND c.key_id = history_keys.key_id)
  AND NOT EXISTS (SELECT 1 FROM history_json j WHERE j.run_pk = ? AND j.key_id = history_keys.key_id)`;

/** `?, ?, ?` for `n` values. */
const marks = (n: number): string => new Array<string>(n).fill('?').join(', ');

function* inChunksOf<T>(values: readonly T[]): Generator<T[]> {
  for (let at = 0; at < values.length; at += IN_LIST_MAX) yield values.slice(at, at + IN_LIST_MAX);
}

/** Inserts chunks of one key's cells (split at {@link CHUNK_MAX_POINTS}), many rows per statement. */
function* insertChunks(rows: ReadonlyArray<{ pk: number; keyId: number; steps: Float64Array; values: Float64Array }>): SqlProgram<void> {
  const flat: unknown[] = [];
  for (const { pk, keyId, steps, values } of rows) {
    for (let at = 0; at < steps.length; at += CHUNK_MAX_POINTS) {
      const end = Math.min(at + CHUNK_MAX_POINTS, steps.length);
      flat.push(pk, keyId, steps[at]!, steps[end - 1]!, end - at, encodeSteps(steps.subarray(at, end)), encodeFloats(values.subarray(at, end)));
    }
  }
  const perStatement = 7 * 100;
  for (let at = 0; at < flat.length; at += perStatement) {
    const part = flat.slice(at, at + perStatement);
    const tuples = new Array<string>(part.length / 7).fill(`(${marks(7)})`).join(', ');
    yield sql(`INSERT INTO history_chunks (run_pk, key_id, first_step, last_step, n, steps, vals) VALUES ${tuples}`, ...part);
  }
}

/**
 * Removes a run's history after `afterStep` (cutting the chunks that span it)
 * and the keys left without cells. The caller rebuilds the run's group
 * aggregates above the step and forgets what it cached of the run's keys.
 */
export function* truncateHistory(pk: number, afterStep: number): SqlProgram<void> {
  // Last steps go down and keys may go: the run's key index (Postgres) is unknown until its next batch rebuilds it.
  yield pgOnly('UPDATE runs SET history_index = NULL WHERE pk = ?', pk);
  yield sql('DELETE FROM history_chunks WHERE run_pk = ? AND first_step > ?', pk, afterStep);
  const spanning = (yield sql(CHUNKS_SPANNING, pk, afterStep, afterStep)) as unknown as ChunkRow[];
  for (const ids of inChunksOf(spanning.map((c) => c.id))) yield sql(`DELETE FROM history_chunks WHERE run_pk = ? AND id IN (${marks(ids.length)})`, pk, ...ids);
  // first_step <= afterStep: at least one cell of each stays.
  yield* insertChunks(spanning.map((c) => ({ pk, keyId: Number(c.key_id), ...trimChunk(c, afterStep)! })));
  yield sql('DELETE FROM history_json WHERE run_pk = ? AND step > ?', pk, afterStep);
  // Keys logged only after the rewind point are gone with their cells.
  yield sql(DELETE_EMPTY_KEYS, pk, pk, pk);
}

/** Copies the history of run `sourcePk` up to `maxStep` (inclusive) into the new run `pk`: its keys, chunks (cut at the step) and JSON cells. */
export function* copyHistory(pk: number, sourcePk: number, maxStep: number): SqlProgram<void> {
  // The source's row lock keeps Postgres compaction from merging its chunks between the copies below.
  yield pgOnly('SELECT 1 FROM runs WHERE pk = ? FOR SHARE', sourcePk);
  // The new run's keys come from the copy: its key index (Postgres) is unknown until its first batch rebuilds it.
  yield pgOnly('UPDATE runs SET history_index = NULL WHERE pk = ?', pk);
  yield sql(
    `INSERT INTO history_keys (run_pk, key_id, key) SELECT ?, key_id, key FROM history_keys k WHERE run_pk = ? AND (
       EXISTS (SELECT 1 FROM history_chunks c WHERE c.run_pk = ? AND c.key_id = k.key_id AND c.first_step <= ?)
       OR EXISTS (SELECT 1 FROM history_json j WHERE j.run_pk = ? AND j.key_id = k.key_id AND j.step <= ?))`,
    pk,
    sourcePk,
    sourcePk,
    maxStep,
    sourcePk,
    maxStep,
  );
  yield sql(
    'INSERT INTO history_chunks (run_pk, key_id, first_step, last_step, n, steps, vals) SELECT ?, key_id, first_step, last_step, n, steps, vals FROM history_chunks WHERE run_pk = ? AND last_step <= ? ORDER BY id',
    pk,
    sourcePk,
    maxStep,
  );
  const spanning = (yield sql(CHUNKS_SPANNING, sourcePk, maxStep, maxStep)) as unknown as ChunkRow[];
  const cut = spanning.flatMap((c) => {
    const kept = trimChunk(c, maxStep);
    return kept ? [{ pk, keyId: Number(c.key_id), ...kept }] : [];
  });
  yield* insertChunks(cut);
  yield sql('INSERT INTO history_json (run_pk, step, key_id, json) SELECT ?, step, key_id, json FROM history_json WHERE run_pk = ? AND step <= ?', pk, sourcePk, maxStep);
}

/**
 * Cells of the given keys (all keys when absent) within a step range: each
 * key's numeric cells and JSON cells, keys in first-logged order (or the
 * order asked). Run it in one snapshot (a read-only transaction) so no batch
 * lands between its statements.
 */
export function* readHistory(pk: number, query: StepRange & { keys?: readonly string[] } = {}): SqlProgram<HistoryColumns> {
  const min = query.minStep ?? MIN_STEP;
  const max = query.maxStep ?? MAX_STEP;
  // Only the asked keys' ids when keys are given (the (run_pk, key) index): a read of a few keys costs the same in a run of a million.
  const ids = new Map<string, number>();
  if (query.keys) {
    for (const keys of inChunksOf([...new Set(query.keys)])) {
      for (const r of yield sql(`SELECT key, key_id FROM history_keys WHERE run_pk = ? AND key IN (${marks(keys.length)})`, pk, ...keys)) {
        ids.set(String(r['key']), Number(r['key_id']));
      }
    }
  } else {
    for (const r of yield sql('SELECT key, key_id FROM history_keys WHERE run_pk = ? ORDER BY key_id', pk)) ids.set(String(r['key']), Number(r['key_id']));
  }
  const wanted: Array<[string, number]> = query.keys ? query.keys.flatMap((k) => (ids.has(k) ? [[k, ids.get(k)!] as [string, number]] : [])) : [...ids];
  const out: HistoryColumns = { numeric: [], json: [] };
  if (wanted.length === 0) return out;
  const chunks = new Map<number, ChunkRow[]>();
  const cells = new Map<number, Array<{ step: number; json: string }>>();
  // Per key list when keys are given, else the whole run at once.
  const lists: Array<number[] | undefined> = query.keys ? [...inChunksOf([...new Set(wanted.map(([, id]) => id))])] : [undefined];
  for (const list of lists) {
    const onKeys = list ? ` AND key_id IN (${marks(list.length)})` : '';
    const keyParams = list ?? [];
    for (const r of yield sql(
      `SELECT ${CHUNK_COLUMNS} FROM history_chunks WHERE run_pk = ?${onKeys} AND last_step >= ? AND first_step <= ? ORDER BY key_id, last_step`,
      pk,
      ...keyParams,
      min,
      max,
    )) {
      const row = r as unknown as ChunkRow;
      push(chunks, Number(row.key_id), row);
    }
    for (const r of yield sql(`SELECT key_id, step, json FROM history_json WHERE run_pk = ?${onKeys} AND step >= ? AND step <= ? ORDER BY key_id, step`, pk, ...keyParams, min, max)) {
      push(cells, Number(r['key_id']), { step: Number(r['step']), json: String(r['json']) });
    }
  }
  for (const [key, id] of wanted) {
    const keyChunks = chunks.get(id);
    if (keyChunks) {
      const num = collectRange(keyChunks, min, max, Infinity, true);
      if (num.steps.length > 0) out.numeric.push({ key, steps: num.steps, values: num.values });
    }
    const rows = cells.get(id);
    if (rows) out.json.push({ key, steps: rows.map((r) => r.step), values: rows.map((r) => r.json) });
  }
  return out;
}

/** Steps of the run's rows (its {@link ROW_KEY} cells) in a range, ascending, at most `limit`: only the steps blobs are read. */
export function* readRowSteps(pk: number, query: StepRange & { limit?: number } = {}): SqlProgram<Float64Array> {
  const max = query.maxStep ?? MAX_STEP;
  const limit = query.limit ?? Infinity;
  const select = `SELECT key_id, first_step, last_step, n, steps FROM history_chunks
    WHERE run_pk = ? AND key_id = (SELECT key_id FROM history_keys WHERE run_pk = ? AND key = ?)
      AND last_step >= ? AND first_step <= ? ORDER BY last_step`;
  let min = query.minStep ?? MIN_STEP;
  if (limit === Infinity) {
    const rows = (yield sql(select, pk, pk, ROW_KEY, min, max)) as unknown as ChunkRow[];
    return collectRange(rows, min, max, Infinity, false).steps;
  }
  // A limited read (a page of rows) pages through chunks rather than reading the whole key.
  const parts: Float64Array[] = [];
  let count = 0;
  for (;;) {
    const rows = (yield sql(`${select} LIMIT ${ROW_STEP_PAGE}`, pk, pk, ROW_KEY, min, max)) as unknown as ChunkRow[];
    const got = collectRange(rows, min, max, limit - count, false);
    if (got.steps.length > 0) parts.push(got.steps);
    count += got.steps.length;
    const last = rows[rows.length - 1];
    if (got.full || rows.length < ROW_STEP_PAGE || last === undefined || last.last_step >= max) break;
    min = Number(last.last_step) + 1;
  }
  return parts.length === 0 ? new Float64Array(0) : concatFloats(parts);
}

function push<T>(map: Map<number, T[]>, id: number, row: T): void {
  const list = map.get(id);
  if (list) list.push(row);
  else map.set(id, [row]);
}
