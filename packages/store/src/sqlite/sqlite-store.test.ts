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

  it('refuses a second run with the same key', async () => {
    await using store = openSqliteStore(':memory:');
    await store.createRun(newRun('a'));
    await expect(store.createRun(newRun('a'))).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
  });

  it('commits a batch only when the applied seq is the expected one', async () => {
    await using store = openSqliteStore(':memory:');
    const run = await store.createRun(newRun('a'));
    const write = { appliedSeq: 1, run: { lastStep: 2 }, numeric: [{ key: 'x', steps: range(0, 3), values: range(10, 13) }] };
    expect(await store.commitBatch(run.pk, 0, write)).toBe(true);
    expect(await store.commitBatch(run.pk, 0, write)).toBe(false);
    const cols = await store.readHistory(run.pk);
    expect(Array.from(cols.numeric[0]!.values)).toEqual([10, 11, 12]);
    expect((await store.getRunByPk(run.pk))).toMatchObject({ appliedSeq: 1, lastStep: 2 });
  });

  it('keeps the applied seq of each shared-mode writer apart from the run\'s', async () => {
    await using store = openSqliteStore(':memory:');
    const run = await store.createRun(newRun('a'));
    expect(await store.commitBatch(run.pk, 0, { appliedSeq: 3, writer: 'rank-1' })).toBe(true);
    expect(await store.commitBatch(run.pk, 1, { appliedSeq: 2, writer: 'rank-2' })).toBe(true);
    expect(await store.commitBatch(run.pk, 2, { appliedSeq: 5, writer: 'rank-1' })).toBe(true);
    expect([await store.writerAppliedSeq(run.pk, 'rank-1'), await store.writerAppliedSeq(run.pk, 'rank-2'), await store.writerAppliedSeq(run.pk, 'x')]).toEqual([5, 2, 0]);
    expect(await store.getRunByPk(run.pk)).toMatchObject({ appliedSeq: 0, version: 3 });
  });

  it('rolls back the whole batch when a write fails, key dictionary included', async () => {
    await using store = openSqliteStore(':memory:');
    const run = await store.createRun(newRun('a'));
    await store.commitBatch(run.pk, 0, { appliedSeq: 1, numeric: [{ key: 'x', steps: range(0, 3), values: range(0, 3) }] });
    const bad = {
      appliedSeq: 2,
      numeric: [
        { key: 'new', steps: range(3, 5), values: range(3, 5) },
        { key: 'x', steps: range(1, 2), values: range(1, 2) },
      ],
    };
    await expect(store.commitBatch(run.pk, 1, bad)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    expect((await store.getRunByPk(run.pk))?.appliedSeq).toBe(1);
    expect(await store.listHistoryKeys(run.pk)).toEqual(['x']);
    expect(await store.commitBatch(run.pk, 1, { appliedSeq: 2, numeric: [{ key: 'y', steps: range(3, 4), values: range(3, 4) }] })).toBe(true);
    expect(await store.listHistoryKeys(run.pk)).toEqual(['x', 'y']);
  });

  it('merges small writes into chunks and splits big ones', async () => {
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
    const cols = await store.readHistory(run.pk, { minStep: 1500, maxStep: 15_000 });
    expect(Array.from(cols.numeric[0]!.steps)).toEqual(Array.from(range(1500, 15_001)));
    expect(Array.from(await store.readRowSteps(run.pk))).toEqual([]);
  });

  it('rewinds history, trimming the chunk that spans the step', async () => {
    await using store = openSqliteStore(':memory:');
    const run = await store.createRun(newRun('a'));
    await store.commitBatch(run.pk, 0, {
      appliedSeq: 1,
      numeric: [{ key: '_timestamp', steps: range(0, 10_000), values: range(0, 10_000) }],
      json: [{ key: 's', steps: [5, 5000, 9000], values: ['"a"', '"b"', '"c"'] }],
    });
    expect(await store.rewindRun(run.pk, 0, 5000, { lastStep: 5000 })).toBe(false);
    await store.commitBatch(run.pk, 1, { appliedSeq: 2, numeric: [{ key: 'late', steps: range(10_000, 10_010), values: range(0, 10) }] });
    expect(await store.rewindRun(run.pk, 2, 5000, { lastStep: 5000 })).toBe(true);
    expect(await store.listHistoryKeys(run.pk)).toEqual(['_timestamp', 's']);
    expect(Array.from(await store.readRowSteps(run.pk, { minStep: 4998 }))).toEqual([4998, 4999, 5000]);
    expect((await store.readHistory(run.pk, { keys: ['s'] })).json[0]!.values).toEqual(['"a"', '"b"']);
    // History continues after the rewind point.
    expect(await store.commitBatch(run.pk, 3, { appliedSeq: 3, numeric: [{ key: '_timestamp', steps: range(5001, 5003), values: range(0, 2) }] })).toBe(true);
    expect((await store.readRowSteps(run.pk)).length).toBe(5003);
  });

  it('forks history up to a step into a new run', async () => {
    await using store = openSqliteStore(':memory:');
    const src = await store.createRun(newRun('a'));
    await store.commitBatch(src.pk, 0, {
      appliedSeq: 1,
      numeric: [{ key: '_timestamp', steps: range(0, 10_000), values: range(0, 10_000) }],
      json: [{ key: 's', steps: [5, 9000], values: ['"a"', '"c"'] }],
    });
    await store.commitBatch(src.pk, 1, { appliedSeq: 2, numeric: [{ key: 'late', steps: range(10_000, 10_010), values: range(0, 10) }] });
    const fork = await store.forkRun(src.pk, 6000, newRun('b'));
    expect(await store.listHistoryKeys(fork.pk)).toEqual(['_timestamp', 's']);
    expect((await store.readRowSteps(fork.pk)).length).toBe(6001);
    expect((await store.readHistory(fork.pk, { keys: ['s'] })).json[0]!.steps).toEqual([5]);
    expect((await store.readRowSteps(src.pk)).length).toBe(10_000);
    await expect(store.forkRun(src.pk, 1, newRun('b'))).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
  });

  it('lists projects and runs with filters, and stale runs', async () => {
    await using store = openSqliteStore(':memory:');
    await store.createRun(newRun('a', { group: 'g', heartbeatAt: 5 }));
    await store.createRun(newRun('b', { state: 'finished' }));
    await store.createRun(newRun('c', { project: 'q' }));
    expect((await store.listProjects()).map((p) => [p.project, p.runCount])).toEqual([
      ['p', 2],
      ['q', 1],
    ]);
    expect(await store.listProjects('nobody')).toEqual([]);
    expect((await store.listRuns('e', 'p', { states: ['running'] })).map((r) => r.runId)).toEqual(['a']);
    expect((await store.listRuns('e', 'p', { group: 'g' })).map((r) => r.runId)).toEqual(['a']);
    expect((await store.listStaleRuns(['running'], 3)).map((r) => r.runId)).toEqual(['c']);
  });

  it('closes once and refuses calls after', async () => {
    const store = openSqliteStore(':memory:');
    await store.close();
    await store.close();
    await expect(store.listProjects()).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });
});
