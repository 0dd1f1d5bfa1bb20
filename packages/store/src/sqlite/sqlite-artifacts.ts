import type Database from 'better-sqlite3';
import { ArtifactStore, type SqlProgramRunner } from '../artifacts/artifact-store.js';
import type { SqlProgram } from '../artifacts/sql-program.js';
import type { ConsoleChunk } from '../artifacts/artifact-types.js';

/** Writes console chunks inside the caller's transaction (`commitBatch`). */
export function sqliteConsoleWriter(db: Database.Database): (runPk: number, chunks: readonly ConsoleChunk[]) => void {
  const insert = db.prepare('INSERT INTO console_lines (run_pk, at, stream, label, line) VALUES (?, ?, ?, ?, ?)');
  return (runPk, chunks) => {
    for (const c of chunks) for (const line of c.lines) insert.run(runPk, c.at, c.stream, c.label, line);
  };
}

/**
 * The {@link ArtifactStore} of a SQLite database: each operation runs
 * synchronously inside one `db.transaction`, so nothing else on the
 * connection interleaves with it. Statements are prepared once.
 */
export function sqliteArtifactStore(db: Database.Database, assertOpen: () => void): ArtifactStore {
  return new ArtifactStore(sqliteProgramRunner(db, assertOpen));
}

/**
 * Runs a {@link SqlProgram} synchronously inside one `db.transaction` (artifacts, identity);
 * `immediate` takes the write lock at BEGIN (sweeps: a decision made from what it read).
 */
export function sqliteProgramRunner(db: Database.Database, assertOpen: () => void, begin: 'deferred' | 'immediate' = 'deferred'): SqlProgramRunner {
  const drive = sqliteProgramDriver(db);
  return async (_doing, program) => {
    assertOpen();
    return db.transaction(() => drive(program))[begin]();
  };
}

/**
 * Drives a {@link SqlProgram} synchronously on `db`, inside whatever
 * transaction the caller holds (history rewinds and forks run inside the
 * store's own); statements are prepared once.
 */
export function sqliteProgramDriver(db: Database.Database): <T>(program: SqlProgram<T>) => T {
  const statements = new Map<string, Database.Statement>();
  const prepared = (text: string): Database.Statement => {
    let stmt = statements.get(text);
    if (!stmt) {
      stmt = db.prepare(text);
      // Bounded: the operations use a fixed set of statements (and history reads one per length of an `IN` list).
      if (statements.size < 1024) statements.set(text, stmt);
    }
    return stmt;
  };
  const drive = <T>(program: SqlProgram<T>): T => {
    let next = program.next();
    while (!next.done) {
      const step = next.value;
      let rows: Array<Record<string, unknown>> = [];
      if (!step.pgOnly) {
        const stmt = prepared(step.sql);
        if (stmt.reader) rows = stmt.all(...step.params) as Array<Record<string, unknown>>;
        else stmt.run(...step.params);
      }
      next = program.next(rows);
    }
    return next.value;
  };
  return drive;
}
