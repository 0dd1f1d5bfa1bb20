import type pg from 'pg';
import { ArtifactStore, type SqlProgramRunner } from '../artifacts/artifact-store.js';
import { toPgPlaceholders, type SqlProgram } from '../artifacts/sql-program.js';
import type { ConsoleChunk } from '../artifacts/artifact-types.js';

/** Runs `fn` in one transaction (the store's own helper, with its error mapping). */
export type PgTransaction = <T>(doing: string, fn: (c: pg.PoolClient) => Promise<T>) => Promise<T>;

/** Writes console chunks on the caller's transaction (`commitBatch`), one INSERT per chunk. */
export async function pgInsertConsole(client: pg.ClientBase, runPk: number, chunks: readonly ConsoleChunk[]): Promise<void> {
  for (const c of chunks) {
    if (c.lines.length === 0) continue;
    await client.query('INSERT INTO console_lines (run_pk, at, stream, label, line) SELECT $1, $2, $3, $4, unnest($5::text[])', [runPk, c.at, c.stream, c.label, c.lines]);
  }
}

/**
 * The {@link ArtifactStore} of a Postgres database: each operation runs in
 * one transaction on one connection; `FOR UPDATE` on the artifact row makes
 * coordinators that save one artifact at once take turns.
 */
export function pgArtifactStore(tx: PgTransaction): ArtifactStore {
  return new ArtifactStore(pgProgramRunner(tx));
}

/** Runs a {@link SqlProgram} in one transaction on one connection (artifacts, identity). */
export function pgProgramRunner(tx: PgTransaction): SqlProgramRunner {
  return <T>(doing: string, program: SqlProgram<T>) => tx(doing, (client) => drivePgProgram(client, program));
}

/** Statement texts with `$n` placeholders, by their `?` text; bounded (the programs use a fixed set, and `IN` lists one per length). */
const PG_TEXTS = new Map<string, string>();

function pgText(text: string): string {
  let out = PG_TEXTS.get(text);
  if (out === undefined) {
    out = toPgPlaceholders(text);
    if (PG_TEXTS.size < 1024) PG_TEXTS.set(text, out);
  }
  return out;
}

/**
 * Drives a {@link SqlProgram} on `client` (a connection in the caller's
 * transaction, or the pool for a read that needs no snapshot), its `?`
 * placeholders rewritten to `$n`.
 */
export async function drivePgProgram<T>(client: Pick<pg.ClientBase, 'query'>, program: SqlProgram<T>): Promise<T> {
  let next = program.next();
  while (!next.done) {
    const step = next.value;
    const result = await client.query(pgText(step.sql), step.params as unknown[]);
    next = program.next((result.rows ?? []) as Array<Record<string, unknown>>);
  }
  return next.value;
}
