import type pg from 'pg';
import { CHUNK_MAX_POINTS, encodeFloats, encodeSteps } from '../sqlite/history-chunks.js';

/**
 * History chunks written on Postgres: the packing and chunk rules are the
 * SQLite store's (`history-chunks.ts`, imported, not copied); what is here is
 * how a batch's chunks travel: many rows per statement, blobs as binary
 * parameters. Reads, rewinds and forks are shared with SQLite
 * (history/history-ops.ts).
 */

/** Something that runs a query: a pool client inside a transaction. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

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
