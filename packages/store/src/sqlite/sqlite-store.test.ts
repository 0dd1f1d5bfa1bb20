import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CHUNK_MAX_POINTS } from './history-chunks.js';
import { MIGRATIONS } from './schema.js';
import { openSqliteStore } from './sqlite-store.js';
import { newRun } from '../testing/new-run.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-store-'));
  dirs.push(dir);
  return join(dir, 'cohort.db');
}

const range = (from: number, to: number): Float64Array => Float64Array.from({ length: to - from }, (_, i) => from + i);

/** What only the SQLite store has; the behaviour both stores share is testing/store-contract.ts. */
describe('SqliteStore', () => {
  it('opens a file in WAL mode, records its migrations and keeps data across reopen', async () => {
    const file = tempFile();
    {
      await using store = openSqliteStore(file);
      expect(store.database.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(store.database.pragma('synchronous', { simple: true })).toBe(1);
      await store.createRun(newRun('a', { tags: ['x'] }));
    }
    await using store = openSqliteStore(file);
    const versions = store.database.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>;
    expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
    expect((await store.findRun({ entity: 'e', project: 'p', runId: 'a' }))?.tags).toEqual(['x']);
  });

  it('grows a small tail chunk in the write itself and splits big writes', async () => {
    await using store = openSqliteStore(':memory:');
    const run = await store.createRun(newRun('a'));
    let seq = 0;
    for (let s = 0; s < 3000; s += 10) {
      await store.commitBatch(run.pk, seq, { appliedSeq: ++seq, numeric: [{ key: 'x', steps: range(s, s + 10), values: range(s, s + 10) }] });
    }
    await store.commitBatch(run.pk, seq, { appliedSeq: ++seq, numeric: [{ key: 'x', steps: range(3000, 20_000), values: range(3000, 20_000) }] });
    const chunks = store.database.prepare('SELECT n FROM history_chunks ORDER BY first_step').all() as Array<{ n: number }>;
    expect(chunks.length).toBeLessThan(10);
    expect(Math.max(...chunks.map((c) => c.n))).toBeLessThanOrEqual(CHUNK_MAX_POINTS);
  });
});
