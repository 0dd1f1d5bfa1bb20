import { sql, type SqlProgram } from '../artifacts/sql-program.js';

/** Digests per statement (placeholders stay far below both engines' limits). */
const DIGESTS_PER_STATEMENT = 500;

/** `digest` is referenced by an artifact version's file or a run's file (media are run files). */
const REFERENCED = (column: string) =>
  `(EXISTS (SELECT 1 FROM artifact_files f WHERE f.digest = ${column}) OR EXISTS (SELECT 1 FROM run_files rf WHERE rf.digest = ${column}))`;

/** Which of `digests` an artifact version or a run file references. */
export function* referencedBlobs(digests: readonly string[]): SqlProgram<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < digests.length; i += DIGESTS_PER_STATEMENT) {
    const part = digests.slice(i, i + DIGESTS_PER_STATEMENT);
    const dig = part.map(() => '?').join(', ');
    const rows = yield sql(`SELECT digest FROM artifact_files WHERE digest IN (${dig}) UNION SELECT digest FROM run_files WHERE digest IN (${dig})`, ...part, ...part);
    for (const r of rows) out.add(String(r['digest']));
  }
  return out;
}

/** Marks those of `digests` nothing references (a mark already there keeps its time); returns how many are marked now. */
export function* markBlobs(digests: readonly string[], now: number): SqlProgram<number> {
  const referenced = yield* referencedBlobs(digests);
  let marked = 0;
  for (const d of digests) {
    if (referenced.has(d)) continue;
    yield sql('INSERT INTO blob_gc_marks (digest, marked_at) VALUES (?, ?) ON CONFLICT (digest) DO NOTHING', d, now);
    marked++;
  }
  return marked;
}

/** Removes the marks of `digests` (they were uploaded or asked about: in use). */
export function* unmarkBlobs(digests: readonly string[]): SqlProgram<void> {
  for (let i = 0; i < digests.length; i += DIGESTS_PER_STATEMENT) {
    const part = digests.slice(i, i + DIGESTS_PER_STATEMENT);
    yield sql(`DELETE FROM blob_gc_marks WHERE digest IN (${part.map(() => '?').join(', ')})`, ...part);
  }
}

/**
 * Takes up to `limit` blobs to delete: marked before `markedBefore` and
 * referenced by nothing now. Their marks and read grants go in the same
 * transaction, so two passes never take the same blob; marks of blobs
 * referenced since are dropped. With `dryRun`, only reads.
 */
export function* claimBlobGarbage(markedBefore: number, limit: number, dryRun: boolean): SqlProgram<string[]> {
  const rows = yield sql(`SELECT digest FROM blob_gc_marks WHERE marked_at < ? AND NOT ${REFERENCED('blob_gc_marks.digest')} ORDER BY marked_at, digest LIMIT ?`, markedBefore, limit);
  const digests = rows.map((r) => String(r['digest']));
  if (dryRun) return digests;
  yield sql(`DELETE FROM blob_gc_marks WHERE marked_at < ? AND ${REFERENCED('blob_gc_marks.digest')}`, markedBefore);
  const claimed: string[] = [];
  for (let i = 0; i < digests.length; i += DIGESTS_PER_STATEMENT) {
    const part = digests.slice(i, i + DIGESTS_PER_STATEMENT);
    const dig = part.map(() => '?').join(', ');
    // RETURNING: a concurrent pass (or an unmark) that removed a mark first keeps that blob out of this claim.
    const gone = yield sql(`DELETE FROM blob_gc_marks WHERE digest IN (${dig}) AND NOT ${REFERENCED('blob_gc_marks.digest')} RETURNING digest`, ...part);
    const ds = gone.map((r) => String(r['digest']));
    if (ds.length > 0) yield sql(`DELETE FROM blob_grants WHERE digest IN (${ds.map(() => '?').join(', ')})`, ...ds);
    claimed.push(...ds);
  }
  return claimed;
}
