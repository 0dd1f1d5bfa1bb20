import type { CompactionOptions, CompactionReport } from '../types.js';
import { CHUNK_MAX_POINTS, concatFloats } from '../sqlite/history-chunks.js';
import { NewChunks, insertChunks, type Queryable } from './pg-history.js';
import { decodeChunk, type ChunkRow } from '../history/chunk-rows.js';

/**
 * History compaction on Postgres. A batch's numeric cells are written as
 * they come, one new chunk per key (docs/scaled-mode.md, "Chunks: written
 * as they come, compacted behind"), so a run logging small batches leaves
 * small chunks; a housekeeping task merges each run of consecutive small
 * chunks of a key into chunks of up to `CHUNK_MAX_POINTS`, off the
 * write path.
 */

/**
 * A chunk with fewer points than this is small: compaction merges it with
 * its neighbours. The partial index `history_chunks_small` (migration 60)
 * has the same bound in its predicate; the candidate query repeats it
 * literally, so the planner can use that index.
 */
export const PG_SMALL_CHUNK = 256;

/** The migration that adds the index of small chunks, where compaction finds its work. */
export const PG_COMPACTION_MIGRATION = {
  version: 60,
  name: 'index of small history chunks (compaction)',
  sql: `CREATE INDEX history_chunks_small ON history_chunks (run_pk, key_id) WHERE n < ${PG_SMALL_CHUNK};`,
};

const DEFAULTS: Required<CompactionOptions> = { minSmallChunks: 8, maxKeys: 4096, maxChunksPerRun: 20_000 };

/** A stored chunk's id and size, in step order within its key. */
export interface ChunkHead {
  id: number;
  n: number;
}

/**
 * The merges of one key's chunks (given in step order): each maximal run of
 * consecutive small chunks becomes one group (split where it would pass
 * `max` points); a small chunk alone between big ones joins a neighbour
 * that has room (the one before it first), so no key keeps many lone small
 * chunks. Only groups of two or more chunks are answered. Pure: the caller
 * takes the chunks out and writes each group back as one.
 */
export function planMerges(heads: readonly ChunkHead[], small = PG_SMALL_CHUNK, max = CHUNK_MAX_POINTS): number[][] {
  const out: number[][] = [];
  /** The index of the last chunk already in a group (a lone small chunk may not join it). */
  let used = -1;
  let i = 0;
  while (i < heads.length) {
    if (heads[i]!.n >= small) {
      i++;
      continue;
    }
    const ids: number[] = [];
    let sum = 0;
    let j = i;
    while (j < heads.length && heads[j]!.n < small && sum + heads[j]!.n <= max) {
      ids.push(heads[j]!.id);
      sum += heads[j]!.n;
      j++;
    }
    if (ids.length >= 2) {
      out.push(ids);
      used = j - 1;
    } else {
      const prev = heads[i - 1];
      const next = heads[j];
      if (prev && i - 1 > used && prev.n + sum <= max) {
        out.push([prev.id, heads[i]!.id]);
        used = i;
      } else if (next && next.n >= small && next.n + sum <= max) {
        out.push([heads[i]!.id, next.id]);
        used = j;
        j++;
      }
    }
    i = j;
  }
  return out;
}

/** (run, key) pairs with enough small chunks, a run's keys together. Uses `history_chunks_small` ($1: min chunks, $2: limit). */
const CANDIDATES = `
SELECT run_pk, array_agg(key_id) AS key_ids FROM (
  SELECT run_pk, key_id FROM history_chunks WHERE n < ${PG_SMALL_CHUNK}
  GROUP BY run_pk, key_id HAVING count(*) >= $1 LIMIT $2
) s GROUP BY run_pk`;

/** How long a run's compaction waits for the run's row lock (a writer's transaction holds it briefly). */
const LOCK_TIMEOUT_MS = 5000;

/**
 * Finds the keys with at least `minSmallChunks` small chunks and compacts
 * them, one transaction per run. Each transaction first takes the run's
 * row lock (`FOR NO KEY UPDATE`, as a writer's version-guarded UPDATE
 * does), so it never interleaves with a batch that rewinds the run's
 * history or a fork that copies it; appends of other batches wait a few
 * milliseconds at most. A run that is gone is skipped.
 */
export async function compactHistory(
  candidates: Queryable,
  inRunTx: (fn: (c: Queryable) => Promise<RunCompaction>) => Promise<RunCompaction>,
  options: CompactionOptions = {},
): Promise<CompactionReport> {
  const o = { ...DEFAULTS, ...options };
  const report: CompactionReport = { runs: 0, keys: 0, chunksRemoved: 0, chunksWritten: 0 };
  const found = await candidates.query<{ run_pk: number; key_ids: number[] }>(CANDIDATES, [o.minSmallChunks, o.maxKeys]);
  for (const { run_pk: pk, key_ids: keyIds } of found.rows) {
    const done = await inRunTx((c) => compactRun(c, pk, keyIds, o.maxChunksPerRun));
    if (done.chunksRemoved === 0) continue;
    report.runs++;
    report.keys += done.keys;
    report.chunksRemoved += done.chunksRemoved;
    report.chunksWritten += done.chunksWritten;
  }
  return report;
}

/** What one run's compaction did. */
export interface RunCompaction {
  keys: number;
  chunksRemoved: number;
  chunksWritten: number;
}

/** Compacts the given keys of one run; call inside a transaction. */
export async function compactRun(c: Queryable, pk: number, keyIds: readonly number[], maxChunks: number): Promise<RunCompaction> {
  const none: RunCompaction = { keys: 0, chunksRemoved: 0, chunksWritten: 0 };
  await c.query(`SET LOCAL lock_timeout = ${LOCK_TIMEOUT_MS}`);
  const locked = await c.query('SELECT 1 FROM runs WHERE pk = $1 FOR NO KEY UPDATE', [pk]);
  if (locked.rowCount === 0) return none;
  const heads = await c.query<ChunkHead & { key_id: number; first_step: number; last_step: number; dense: boolean }>(
    `SELECT id, key_id, n, first_step, last_step, octet_length(steps) = 0 AS dense FROM history_chunks
     WHERE run_pk = $1 AND key_id = ANY($2::int[]) ORDER BY key_id, last_step`,
    [pk, keyIds],
  );
  const byKey = new Map<number, ChunkHead[]>();
  const byId = new Map(heads.rows.map((h) => [h.id, h]));
  for (const h of heads.rows) {
    let list = byKey.get(h.key_id);
    if (!list) byKey.set(h.key_id, (list = []));
    list.push(h);
  }
  const dense: number[][] = [];
  const other: Array<{ keyId: number; ids: number[] }> = [];
  let taken = 0;
  const keys = new Set<number>();
  for (const [keyId, list] of byKey) {
    for (const ids of planMerges(list)) {
      if (taken + ids.length > maxChunks && taken > 0) break;
      keys.add(keyId);
      taken += ids.length;
      // Consecutive steps in every chunk and from one chunk to the next: the merged chunk is the values end to end.
      const consecutive = ids.every((id, i) => byId.get(id)!.dense && (i === 0 || byId.get(ids[i - 1]!)!.last_step + 1 === byId.get(id)!.first_step));
      if (consecutive) dense.push(ids);
      else other.push({ keyId, ids });
    }
  }
  const written = (await mergeInPlace(c, pk, dense, byId)) + (await mergeHere(c, pk, other));
  return { keys: keys.size, chunksRemoved: taken, chunksWritten: written };
}

/**
 * Merges groups of chunks with consecutive steps inside PostgreSQL: the
 * values end to end (`string_agg` of the blobs in step order) and an empty
 * steps blob, so no blob travels. Checks the merged sizes against the plan.
 */
async function mergeInPlace(c: Queryable, pk: number, groups: readonly number[][], heads: ReadonlyMap<number, ChunkHead>): Promise<number> {
  if (groups.length === 0) return 0;
  const ids = groups.flat();
  const grp = groups.flatMap((g, i) => g.map(() => i));
  const merged = await c.query<{ grp: number; n: number }>(
    `WITH g AS (SELECT * FROM unnest($1::bigint[], $2::int[]) AS g(id, grp)),
     d AS (DELETE FROM history_chunks c WHERE c.run_pk = $3 AND c.id = ANY($1::bigint[]) RETURNING c.id, c.run_pk, c.key_id, c.first_step, c.last_step, c.n, c.vals),
     m AS (
       INSERT INTO history_chunks (run_pk, key_id, first_step, last_step, n, steps, vals)
       SELECT min(d.run_pk), min(d.key_id), min(d.first_step), max(d.last_step), sum(d.n), ''::bytea, string_agg(d.vals, ''::bytea ORDER BY d.first_step)
       FROM d JOIN g ON g.id = d.id GROUP BY g.grp
       RETURNING run_pk, key_id, first_step, n
     )
     SELECT g.grp, m.n FROM m JOIN d ON d.run_pk = m.run_pk AND d.key_id = m.key_id AND d.first_step = m.first_step JOIN g ON g.id = d.id`,
    [ids, grp, pk],
  );
  const sizes = new Map(merged.rows.map((r) => [r.grp, r.n]));
  groups.forEach((g, i) => {
    const want = g.reduce((n, id) => n + heads.get(id)!.n, 0);
    // Under the run's lock nothing else removes its chunks; a mismatch rolls the run's compaction back.
    if (sizes.get(i) !== want) throw new Error(`compaction: group of chunks ${g.join(',')} merged to ${String(sizes.get(i))} points, not ${want}`);
  });
  return groups.length;
}

/** Merges groups of chunks in this process: out with their blobs, decoded, concatenated, back in one INSERT. */
async function mergeHere(c: Queryable, pk: number, groups: ReadonlyArray<{ keyId: number; ids: number[] }>): Promise<number> {
  if (groups.length === 0) return 0;
  const removed = await c.query<ChunkRow>(
    'DELETE FROM history_chunks WHERE run_pk = $1 AND id = ANY($2::bigint[]) RETURNING id, key_id, first_step, last_step, n, steps, vals',
    [pk, groups.flatMap((g) => g.ids)],
  );
  const byId = new Map(removed.rows.map((r) => [r.id, r]));
  const chunks = new NewChunks();
  for (const g of groups) {
    const parts = g.ids.map((id) => {
      const chunk = byId.get(id);
      // Under the run's lock nothing else removes its chunks; a missing one rolls the run's compaction back.
      if (!chunk) throw new Error(`compaction: chunk ${id} of run ${pk} vanished under the run's lock`);
      return decodeChunk(chunk);
    });
    chunks.add(
      pk,
      g.keyId,
      concatFloats(parts.map((p) => p.steps)),
      concatFloats(parts.map((p) => p.values)),
    );
  }
  await insertChunks(c, chunks);
  return chunks.size;
}
