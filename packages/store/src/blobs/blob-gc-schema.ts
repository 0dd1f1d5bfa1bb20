/**
 * The marks of blob garbage collection (blob-gc.ts), for SQLite and
 * Postgres: a blob no artifact or run file referenced when a pass saw it,
 * and when. A later pass deletes it once the mark is older than the grace
 * period and nothing references it then; an upload of the content, or a
 * `MissingBlobs` answer that it is stored, removes the mark.
 */
export function blobGcMigration(dialect: 'sqlite' | 'postgres'): { version: number; name: string; sql: string } {
  const real = dialect === 'sqlite' ? 'REAL' : 'DOUBLE PRECISION';
  const text = dialect === 'sqlite' ? 'TEXT' : 'TEXT COLLATE "C"';
  return {
    version: 100,
    name: 'blob garbage collection marks',
    sql: `
CREATE TABLE blob_gc_marks (
  digest ${text} PRIMARY KEY,
  marked_at ${real} NOT NULL
);
CREATE INDEX blob_gc_marks_at ON blob_gc_marks (marked_at);
`,
  };
}
