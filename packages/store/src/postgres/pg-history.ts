import type pg from 'pg';
import {
  CHUNK_MAX_POINTS,
  concatFloats,
  decodeFloats,
  decodeSteps,
  encodeFloats,
  encodeSteps,
  lowerBound,
  upperBound,
} from '../sqlite/history-chunks.js';

/**
 * History chunks on Postgres: the packing and chunk rules are the SQLite
 * store's (`history-chunks.ts`, imported, not copied); what is here is how
 * chunks travel: many rows per statement, blobs as binary parameters.
 */

/** Something that runs a query: a pool client inside a transaction. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

/** A stored chunk as read back (`steps` empty or null when consecutive; `vals` absent when not selected). */
export interface ChunkRow {
  id: number;
  key_id: number;
  first_step: number;
  last_step: number;
  n: number;
  steps: Buffer | null;
  vals?: Buffer | null;
}

/**
 * Parameters per statement of a multi-row INSERT: far below the protocol's
 * 65535, so one statement stays a bounded message (a few MB of blobs at most).
 */
export const MAX_PARAMS_PER_STATEMENT = 8192;

/**
 * Runs `head VALUES (...), (...) tail` with `width` parameters per row, in as
 * few statements as {@link MAX_PARAMS_PER_STATEMENT} allows: one round trip
 * per table per batch in the common case, never one per row. Buffers travel
 * as binary parameters (no hex, no escaping).
 */
export async function insertValues(c: Queryable, head: string, width: number, flat: readonly unknown[], tail = ''): Promise<void> {
  const rowsPerStatement = Math.max(1, Math.floor(MAX_PARAMS_PER_STATEMENT / width));
  const total = flat.length / width;
  for (let from = 0; from < total; from += rowsPerStatement) {
    const rows = Math.min(rowsPerStatement, total - from);
    const tuples: string[] = new Array(rows);
    let p = 1;
    for (let r = 0; r < rows; r++) {
      const cells: string[] = new Array(width);
      for (let k = 0; k < width; k++) cells[k] = `$${p++}`;
      tuples[r] = `(${cells.join(', ')})`;
    }
    const values = flat.slice(from * width, (from + rows) * width);
    await c.query(`${head} VALUES ${tuples.join(', ')}${tail}`, values as unknown[]);
  }
}

/**
 * New chunks gathered for one INSERT ({@link chunkInsert}): each column as an
 * array, the steps and values blobs end to end in two binary parameters
 * with each chunk's offset and length. The statement's text does not
 * depend on the number of chunks (PostgreSQL parses and plans it once per
 * connection when named) and no blob is hex-encoded.
 */
export class NewChunks {
  readonly #runPk: number[] = [];
  readonly #keyId: number[] = [];
  readonly #first: number[] = [];
  readonly #last: number[] = [];
  readonly #n: number[] = [];
  readonly #stepsAt: number[] = [];
  readonly #stepsLen: number[] = [];
  readonly #valsAt: number[] = [];
  readonly #valsLen: number[] = [];
  readonly #steps: Buffer[] = [];
  readonly #vals: Buffer[] = [];
  #stepBytes = 0;
  #valBytes = 0;

  /** Chunks gathered so far. */
  get size(): number {
    return this.#runPk.length;
  }

  /** Adds the chunks of one key's cells (split at {@link CHUNK_MAX_POINTS}). */
  add(pk: number, keyId: number, steps: Float64Array, values: Float64Array): void {
    for (let at = 0; at < steps.length; at += CHUNK_MAX_POINTS) {
      const end = Math.min(at + CHUNK_MAX_POINTS, steps.length);
      const stepsBlob = encodeSteps(steps.subarray(at, end));
      // A view of the caller's array: copied when the parameters are built.
      const valsBlob = encodeFloats(values.subarray(at, end));
      this.#runPk.push(pk);
      this.#keyId.push(keyId);
      this.#first.push(steps[at]!);
      this.#last.push(steps[end - 1]!);
      this.#n.push(end - at);
      this.#stepsAt.push(this.#stepBytes);
      this.#stepsLen.push(stepsBlob.byteLength);
      this.#valsAt.push(this.#valBytes);
      this.#valsLen.push(valsBlob.byteLength);
      this.#steps.push(stepsBlob);
      this.#vals.push(valsBlob);
      this.#stepBytes += stepsBlob.byteLength;
      this.#valBytes += valsBlob.byteLength;
    }
  }

  /** The parameters of {@link chunkInsert}, in order. */
  params(): unknown[] {
    return [
      this.#runPk,
      this.#keyId,
      this.#first,
      this.#last,
      this.#n,
      this.#stepsAt,
      this.#stepsLen,
      this.#valsAt,
      this.#valsLen,
      Buffer.concat(this.#steps, this.#stepBytes),
      Buffer.concat(this.#vals, this.#valBytes),
    ];
  }
}

/**
 * The INSERT of {@link NewChunks}, its 11 parameters from `$first` on;
 * `where` filters the rows (`x.run_pk`...), e.g. to the runs whose guard held.
 */
export function chunkInsert(first: number, where = 'true'): string {
  const $ = (i: number): string => `$${first + i}`;
  return `INSERT INTO history_chunks (run_pk, key_id, first_step, last_step, n, steps, vals)
  SELECT x.run_pk, x.key_id, x.first_step, x.last_step, x.n, substring(${$(9)}::bytea FROM x.s_at + 1 FOR x.s_len), substring(${$(10)}::bytea FROM x.v_at + 1 FOR x.v_len)
  FROM unnest(${$(0)}::bigint[], ${$(1)}::integer[], ${$(2)}::bigint[], ${$(3)}::bigint[], ${$(4)}::integer[], ${$(5)}::integer[], ${$(6)}::integer[], ${$(7)}::integer[], ${$(8)}::integer[])
    AS x(run_pk, key_id, first_step, last_step, n, s_at, s_len, v_at, v_len)
  WHERE ${where}`;
}

const INSERT_CHUNKS = chunkInsert(1);

/** Inserts the chunks gathered (nothing when none), in one named statement. */
export async function insertChunks(c: Queryable, chunks: NewChunks): Promise<void> {
  if (chunks.size === 0) return;
  await c.query({ name: 'cohort-insert-chunks', text: INSERT_CHUNKS, values: chunks.params() });
}

/** The steps and values of a chunk, decoded. */
export function decodeChunk(c: ChunkRow): { steps: Float64Array; values: Float64Array } {
  return { steps: decodeSteps(c.steps, c.first_step, c.n), values: decodeFloats(c.vals ?? Buffer.alloc(0)) };
}

/**
 * The cells of ascending, non-overlapping chunks of one key within
 * `[min, max]`, at most `limit` of them (values too when `withValues`).
 * The same slicing as the SQLite store's range read.
 */
export function collectRange(
  chunks: Iterable<ChunkRow>,
  min: number,
  max: number,
  limit: number,
  withValues: boolean,
): { steps: Float64Array; values: Float64Array; full: boolean } {
  const stepParts: Float64Array[] = [];
  const valParts: Float64Array[] = [];
  let count = 0;
  for (const c of chunks) {
    const steps = decodeSteps(c.steps, c.first_step, c.n);
    const lo = c.first_step >= min ? 0 : lowerBound(steps, min);
    let hi = c.last_step <= max ? steps.length : upperBound(steps, max, lo);
    if (count + hi - lo > limit) hi = lo + (limit - count);
    if (hi <= lo) continue;
    stepParts.push(steps.subarray(lo, hi));
    if (withValues) valParts.push(decodeFloats(c.vals ?? Buffer.alloc(0)).subarray(lo, hi));
    count += hi - lo;
    if (count >= limit) break;
  }
  const full = count >= limit;
  if (stepParts.length === 0) return { steps: new Float64Array(0), values: new Float64Array(0), full };
  return { steps: concatFloats(stepParts), values: withValues ? concatFloats(valParts) : new Float64Array(0), full };
}

/** A chunk cut to its steps at or below `maxStep` (undefined when none are). */
export function trimChunk(c: ChunkRow, maxStep: number): { steps: Float64Array; values: Float64Array } | undefined {
  const { steps, values } = decodeChunk(c);
  const end = upperBound(steps, maxStep);
  if (end === 0) return undefined;
  return { steps: steps.subarray(0, end), values: values.subarray(0, end) };
}
