import { createHash } from 'node:crypto';
import { CohortError } from '@cohort/protocol';
import type { BatchCommit, JsonSeries, NumericSeries, RunFields } from '../types.js';
import { concatFloats } from '../sqlite/history-chunks.js';
import { RUN_COLUMNS, toParams } from '../sqlite/run-columns.js';
import { NewChunks, chunkInsert, insertChunks, insertValues, type Queryable } from './pg-history.js';
import { formatKeyIndex, stepsMustIncrease, type KeyIndex, type KeyPlan } from './pg-key-index.js';

/**
 * The statements of `commitBatches` that span every run of a job: one run
 * UPDATE per set of patched columns (usually one), one writer upsert, one
 * key resolution (which also reads each key's last step), one chunk
 * INSERT and one JSON INSERT, whatever the number of runs. A batch's cells
 * become new chunks as they come: no tail is read back and rewritten;
 * compaction merges small chunks later (pg-compaction.ts). Round trips, not CPU, bound a busy worker
 * (docs/scaled-mode.md), so a job costs about as many as one batch did.
 */

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
 * The runs' version-guarded UPDATE as two CTEs for items that all patch
 * `fields`: `v`, their patches (and key indexes, with `indexTexts`) from
 * `unnest` arrays, and `u`, which answers the pks whose guard held. The
 * guarded UPDATE takes the row locks for the rest of the transaction. `$1`
 * is the time; its parameters are `$2` on, so the text depends only on the
 * fields, never on the number of runs.
 *
 * `v`'s LIMIT (its own number of rows: a no-op) is for the generic plan of
 * the named one-statement commit: there an `unnest` of a parameter counts
 * as 10 rows, so the runs' index is probed 10 times, and once `runs` is
 * past a few pages (any real database) that plan costs more than the
 * custom plans of 1-run commits plus their planning, and PostgreSQL plans
 * every call anew (0.15 ms, as long as running it). A LIMIT it cannot
 * fold it counts as a tenth of its input: 1 row, so the generic plan is
 * as cheap as a custom one and is cached after the first five calls. A
 * custom plan folds the LIMIT to the number of runs.
 */
function guardedUpdate(
  items: readonly BatchCommit[],
  patches: ReadonlyArray<Record<string, unknown>>,
  fields: ReadonlyArray<keyof RunFields>,
  indexTexts: readonly string[] | undefined,
): { ctes: string; params: unknown[] } {
  const columns = fields.map((f) => RUN_COLUMNS[f].column);
  const types = ['bigint', 'bigint', ...fields.map((f) => PG_TYPES[f])];
  const params: unknown[] = [items.map((item) => item.pk), items.map((item) => item.expectedVersion), ...fields.map((f) => patches.map((p) => p[f]))];
  if (indexTexts) {
    columns.push('history_index');
    types.push('text');
    params.push(indexTexts);
  }
  const arrays = types.map((type, i) => `$${i + 2}::${type}[]`);
  const sets = [...columns.map((col) => `${col} = v.${col}`), 'updated_at = $1', 'version = r.version + 1'];
  return {
    ctes: `v AS (SELECT * FROM unnest(${arrays.join(', ')}) AS v(${['pk', 'expected', ...columns].join(', ')}) LIMIT cardinality($2::bigint[])),
u AS (UPDATE runs AS r SET ${sets.join(', ')} FROM v WHERE r.pk = v.pk AND r.version = v.expected RETURNING r.pk)`,
    params,
  };
}

/** Each item's run patch: its applied seq included for the run's own records (not a shared-mode writer's). */
function runPatch(item: BatchCommit): Record<string, unknown> {
  const w = item.write;
  return toParams((w.writer ?? '') === '' ? { ...w.run, appliedSeq: w.appliedSeq } : { ...w.run });
}

/**
 * Applies each item's run patch (and its key index where `indexTexts` has
 * one) and bumps its version, only where the version is still the expected
 * one ({@link guardedUpdate}): one statement per set of patched fields,
 * usually one. Answers, per item, whether its guard held.
 */
export async function updateRuns(c: Queryable, items: readonly BatchCommit[], now: number, indexTexts: readonly (string | undefined)[] = []): Promise<boolean[]> {
  const bySet = new Map<string, number[]>();
  const patches = items.map(runPatch);
  items.forEach((_, i) => {
    const set = `${Object.keys(patches[i]!).sort().join(',')}${indexTexts[i] === undefined ? '' : '+index'}`;
    bySet.set(set, [...(bySet.get(set) ?? []), i]);
  });
  const passed = new Set<number>();
  for (const [set, group] of bySet) {
    const withIndex = set.endsWith('+index');
    const plain = withIndex ? set.slice(0, -'+index'.length) : set;
    const fields = (plain === '' ? [] : plain.split(',')) as Array<keyof RunFields>;
    const { ctes, params } = guardedUpdate(
      group.map((i) => items[i]!),
      group.map((i) => patches[i]!),
      fields,
      withIndex ? group.map((i) => indexTexts[i]!) : undefined,
    );
    const res = await c.query<{ pk: number }>(`WITH ${ctes} SELECT pk FROM u`, [now, ...params]);
    for (const row of res.rows) passed.add(row.pk);
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
 * every (run, key) id; for known keys with numeric cells ($3) also the last
 * step stored (from the range index alone), which the batch's first step
 * must pass. Runs under the runs' row locks, taken by the version guards,
 * so two appliers never hand out one id twice.
 */
const RESOLVE_KEYS = `
WITH wanted AS (
  SELECT run_pk, key, numeric, ord FROM unnest($1::bigint[], $2::text[], $3::boolean[]) WITH ORDINALITY AS w(run_pk, key, numeric, ord)
),
known AS (
  SELECT w.run_pk, w.key, w.numeric, k.key_id FROM wanted w JOIN history_keys k ON k.run_pk = w.run_pk AND k.key = w.key
  WHERE k.run_pk = ANY($1::bigint[])
),
missing AS (
  SELECT w.run_pk, w.key, w.ord FROM wanted w
  WHERE NOT EXISTS (SELECT 1 FROM known k WHERE k.run_pk = w.run_pk AND k.key = w.key)
),
base AS (
  SELECT m.run_pk, coalesce((SELECT max(h.key_id) + 1 FROM history_keys h WHERE h.run_pk = m.run_pk AND h.run_pk = ANY($1::bigint[])), 0) AS next
  FROM (SELECT DISTINCT run_pk FROM missing) m
),
added AS (
  INSERT INTO history_keys (run_pk, key_id, key)
  SELECT m.run_pk, b.next + row_number() OVER (PARTITION BY m.run_pk ORDER BY m.ord) - 1, m.key FROM missing m JOIN base b ON b.run_pk = m.run_pk
  RETURNING run_pk, key, key_id
)
SELECT k.run_pk, k.key, k.key_id, CASE WHEN k.numeric THEN (
  SELECT max(c.last_step) FROM history_chunks c WHERE c.run_pk = k.run_pk AND c.key_id = k.key_id AND c.run_pk = ANY($1::bigint[])
) END AS last_step FROM known k
UNION ALL SELECT run_pk, key, key_id, NULL FROM added`;

/** The history one run's batch writes. */
export interface RunHistory {
  pk: number;
  numeric: readonly NumericSeries[];
  json: readonly JsonSeries[];
}

/** One run's cells, checked and grouped by key. */
export interface GroupedHistory {
  pk: number;
  numeric: Map<string, { steps: Float64Array; values: Float64Array }>;
  json: Map<string, Map<number, string>>;
}

/**
 * The history of many runs' batches. Runs with a key plan (their index,
 * pg-key-index.ts) need no lookup: their new keys go into one INSERT. The
 * others have every key resolved (and last steps read) in one round trip.
 * Then every new chunk (split as SQLite splits them) goes into one
 * multi-row INSERT and every JSON cell into another.
 */
export async function writeHistories(c: Queryable, runs: ReadonlyArray<{ history: GroupedHistory; plan: KeyPlan | undefined }>): Promise<void> {
  const ids = new Map<number, Map<string, number>>();
  const newKeys: unknown[] = [];
  const pks: number[] = [];
  const keys: string[] = [];
  const numeric: boolean[] = [];
  for (const { history: g, plan } of runs) {
    if (plan) {
      ids.set(g.pk, plan.ids);
      for (const [key, id] of plan.added) newKeys.push(g.pk, id, key);
      continue;
    }
    // Keys get ids in the order SQLite gives them: numeric first, then JSON.
    for (const key of new Set([...g.numeric.keys(), ...g.json.keys()])) {
      pks.push(g.pk);
      keys.push(key);
      numeric.push(g.numeric.has(key));
    }
  }
  await insertValues(c, 'INSERT INTO history_keys (run_pk, key_id, key)', 3, newKeys);
  if (keys.length > 0) {
    const resolved = await c.query<{ run_pk: number; key: string; key_id: number; last_step: number | null }>(RESOLVE_KEYS, [pks, keys, numeric]);
    const held = new Map<number, Map<string, number | null>>();
    for (const r of resolved.rows) {
      if (!ids.has(r.run_pk)) ids.set(r.run_pk, new Map());
      if (!held.has(r.run_pk)) held.set(r.run_pk, new Map());
      ids.get(r.run_pk)!.set(r.key, r.key_id);
      held.get(r.run_pk)!.set(r.key, r.last_step);
    }
    for (const { history: g, plan } of runs) {
      if (plan) continue;
      for (const [key, series] of g.numeric) {
        const last = held.get(g.pk)!.get(key)!;
        if (last !== null && last >= series.steps[0]!) throw stepsMustIncrease(key, series.steps[0]!, last);
      }
    }
  }
  const chunks = new NewChunks();
  const jsonRows: unknown[] = [];
  for (const { history: g } of runs) {
    const byKey = ids.get(g.pk)!;
    for (const [key, { steps, values }] of g.numeric) chunks.add(g.pk, byKey.get(key)!, steps, values);
    for (const [key, cells] of g.json) {
      const keyId = byKey.get(key)!;
      for (const [step, text] of cells) jsonRows.push(g.pk, step, keyId, text);
    }
  }
  await insertChunks(c, chunks);
  await insertValues(
    c,
    'INSERT INTO history_json (run_pk, step, key_id, json)',
    4,
    jsonRows,
    ' ON CONFLICT (run_pk, step, key_id) DO UPDATE SET json = excluded.json',
  );
}

/** Every key of each run with its id and last numeric step: the runs' indexes, rebuilt from the tables. */
const INDEX_KEYS = `
SELECT k.run_pk, k.key, k.key_id,
  (SELECT max(c.last_step) FROM history_chunks c WHERE c.run_pk = k.run_pk AND c.key_id = k.key_id AND c.run_pk = ANY($1::bigint[])) AS last_step
FROM history_keys k WHERE k.run_pk = ANY($1::bigint[])`;

/**
 * Rebuilds the indexes of the given runs from their keys and chunks and
 * stores them (inside the transaction that wrote their batches, after their
 * version guards). Answers each run's new index text.
 */
export async function rebuildKeyIndexes(c: Queryable, pks: readonly number[]): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  if (pks.length === 0) return out;
  const indexes = new Map<number, KeyIndex>(pks.map((pk) => [pk, { next: 0, keys: new Map() }]));
  for (const r of (await c.query<{ run_pk: number; key: string; key_id: number; last_step: number | null }>(INDEX_KEYS, [pks])).rows) {
    const index = indexes.get(r.run_pk)!;
    index.keys.set(r.key, [r.key_id, r.last_step]);
    index.next = Math.max(index.next, r.key_id + 1);
  }
  for (const [pk, index] of indexes) out.set(pk, formatKeyIndex(index));
  await c.query('UPDATE runs AS r SET history_index = v.t FROM unnest($1::bigint[], $2::text[]) AS v(pk, t) WHERE r.pk = v.pk', [[...out.keys()], [...out.values()]]);
  return out;
}

/** Checks one run's series and groups them by key (a key given twice is concatenated; the last JSON cell of a step wins). */
export function groupHistory(run: RunHistory): GroupedHistory {
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

/** The parts of a batch only the transaction path writes (each a statement or more of its own). */
function needsTransaction(item: BatchCommit): boolean {
  const w = item.write;
  return (
    w.rewindAfter !== undefined ||
    (w.writer ?? '') !== '' ||
    w.aggregates !== undefined ||
    w.progress !== undefined ||
    (w.system?.length ?? 0) > 0 ||
    (w.console?.length ?? 0) > 0 ||
    (w.alerts?.length ?? 0) > 0 ||
    (w.events?.length ?? 0) > 0
  );
}

/**
 * Commits a job whose batches all have key plans and write nothing but
 * their run patch, keys and cells (the steady state of a training job) in
 * ONE statement, with no BEGIN or COMMIT: the version-guarded UPDATE of the
 * runs and INSERTs of the keys, chunks and JSON cells as data-modifying
 * CTEs, each INSERT taking only the rows of runs whose guard held. A
 * statement is atomic by itself, so this is the transaction path's outcome
 * in one round trip instead of four. Rows travel as arrays (`unnest`) and
 * the chunks' blobs as two binary parameters cut by offsets, so the text
 * depends only on the set of patched columns: a named statement that
 * PostgreSQL parses and plans once per connection, however many rows.
 * Answers undefined (nothing done) when the job does not qualify: then the
 * caller takes the transaction path.
 */
export async function commitInOneStatement(
  c: Queryable,
  items: readonly BatchCommit[],
  histories: readonly GroupedHistory[],
  plans: ReadonlyArray<KeyPlan | undefined>,
  now: number,
): Promise<boolean[] | undefined> {
  if (items.some((item, i) => plans[i] === undefined || needsTransaction(item))) return undefined;
  const patches = items.map(runPatch);
  const set = Object.keys(patches[0]!).sort().join(',');
  if (patches.some((p) => Object.keys(p).sort().join(',') !== set)) return undefined;
  const fields = set.split(',') as Array<keyof RunFields>;
  const keys: [unknown[], unknown[], unknown[]] = [[], [], []];
  const chunks = new NewChunks();
  const jsons: [unknown[], unknown[], unknown[], unknown[]] = [[], [], [], []];
  histories.forEach((g, i) => {
    const plan = plans[i]!;
    for (const [key, id] of plan.added) {
      keys[0].push(g.pk);
      keys[1].push(id);
      keys[2].push(key);
    }
    for (const [key, { steps, values }] of g.numeric) chunks.add(g.pk, plan.ids.get(key)!, steps, values);
    for (const [key, cells] of g.json) {
      const keyId = plan.ids.get(key)!;
      for (const [step, text] of cells) {
        jsons[0].push(g.pk);
        jsons[1].push(step);
        jsons[2].push(keyId);
        jsons[3].push(text);
      }
    }
  });
  const update = guardedUpdate(items, patches, fields, plans.map((p) => p!.text));
  const values: unknown[] = [now, ...update.params, ...keys, ...jsons];
  let p = 1 + update.params.length;
  const next = (type: string): string => `$${++p}::${type}`;
  const keyArrays = [next('bigint[]'), next('integer[]'), next('text[]')];
  const jsonArrays = [next('bigint[]'), next('bigint[]'), next('integer[]'), next('text[]')];
  values.push(...chunks.params());
  const text = `WITH ${update.ctes},
k AS (INSERT INTO history_keys (run_pk, key_id, key)
  SELECT x.run_pk, x.key_id, x.key FROM unnest(${keyArrays.join(', ')}) AS x(run_pk, key_id, key) WHERE x.run_pk IN (SELECT pk FROM u)),
c AS (${chunkInsert(p + 1, 'x.run_pk IN (SELECT pk FROM u)')}),
j AS (INSERT INTO history_json (run_pk, step, key_id, json)
  SELECT x.run_pk, x.step, x.key_id, x.json FROM unnest(${jsonArrays.join(', ')}) AS x(run_pk, step, key_id, json) WHERE x.run_pk IN (SELECT pk FROM u)
  ON CONFLICT (run_pk, step, key_id) DO UPDATE SET json = excluded.json)
SELECT pk FROM u`;
  // Named by its text's hash (names are cut at 63 bytes; the text depends on the patched columns).
  const name = `cohort-commit-${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
  const res = await c.query<{ pk: number }>({ name, text, values });
  const passed = new Set(res.rows.map((r) => r.pk));
  return items.map((item) => passed.has(item.pk));
}
