import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { Engine } from '@cohort/engine';
import { RowsBuilder, type OpenRunRequestMessage, type RecordMessage, withOpenRunDefaults } from '@cohort/protocol';
import { createTestDatabase } from '../../../../test/harness/postgres-service.js';
import { CHUNK_MAX_POINTS } from '../sqlite/history-chunks.js';
import { openSqliteStore } from '../sqlite/sqlite-store.js';
import { POSTGRES_MIGRATIONS } from './pg-schema.js';
import { openPostgresStore } from './postgres-store.js';
import { newRun } from '../testing/new-run.js';

/** A database of the test's own, dropped when its `await using` scope ends (after the stores opened in it). */
const testDatabase = () => createTestDatabase(inject('databaseUrl'));

const range = (from: number, to: number): Float64Array => Float64Array.from({ length: to - from }, (_, i) => from + i);

/** What only the Postgres store has (its pool, schemas, races between processes, chunk layout); the shared behaviour is testing/store-contract.ts. */
describe('PostgresStore', () => {
  it('records its migrations once, even when several processes open it at once, and keeps data across reopen', async () => {
    const db = await testDatabase();
    try {
      const stores = await Promise.all([1, 2, 3, 4].map(() => openPostgresStore(db.url, { max: 2 })));
      await stores[0]!.createRun(newRun('a', { tags: ['x'], resumed: true }));
      await Promise.all(stores.map((s) => s.close()));
      await using store = await openPostgresStore(db.url);
      const versions = await store.pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(versions.rows.map((v) => v.version)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
      expect(await store.findRun({ entity: 'e', project: 'p', runId: 'a' })).toMatchObject({ tags: ['x'], resumed: true, version: 0, appliedSeq: 0 });
    } finally {
      await db.drop();
    }
  });

  it('keeps its tables in the schema it is given', async () => {
    await using db = await testDatabase();
    await using store = await openPostgresStore(db.url, { schema: 'cohort_a' });
    await store.createRun(newRun('a'));
    await using other = await openPostgresStore(db.url, { schema: 'cohort_b' });
    expect(await other.findRun({ entity: 'e', project: 'p', runId: 'a' })).toBeUndefined();
    const tables = await store.pool.query<{ schema: string }>("SELECT table_schema AS schema FROM information_schema.tables WHERE table_name = 'runs' ORDER BY 1");
    expect(tables.rows.map((r) => r.schema)).toEqual(['cohort_a', 'cohort_b']);
    await expect(openPostgresStore(db.url, { schema: 'Bad-Name' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(openPostgresStore(db.url, { max: 0 })).rejects.toThrow('expected `max` to be an integer from 1 to 1000, got `0` (number)');
  });

  it('fails UNAVAILABLE when the server cannot be reached', async () => {
    await expect(openPostgresStore('postgres://postgres@127.0.0.1:1/nothing', { connectTimeoutMs: 2_000 })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
  });

  it('reconnects after the server closed its connections', async () => {
    await using db = await testDatabase();
    await using store = await openPostgresStore(db.url, { max: 2 });
    await store.createRun(newRun('a'));
    const admin = new pg.Client({ connectionString: inject('databaseUrl') });
    await admin.connect();
    try {
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [new URL(db.url).pathname.slice(1)]);
    } finally {
      await admin.end();
    }
    let found;
    for (let attempt = 0; attempt < 3 && !found; attempt++) {
      try {
        found = await store.findRun({ entity: 'e', project: 'p', runId: 'a' });
      } catch (err) {
        expect(err).toMatchObject({ code: 'UNAVAILABLE' });
      }
    }
    expect(found?.runId).toBe('a');
  });

  it('lets exactly one of two racing appliers commit', async () => {
    await using db = await testDatabase();
    await using store = await openPostgresStore(db.url);
    await using other = await openPostgresStore(db.url);
    const run = await store.createRun(newRun('a'));
    const write = (v: number) => ({ appliedSeq: 1, numeric: [{ key: 'x', steps: range(0, 100), values: range(v, v + 100) }] });
    const results = await Promise.all([store.commitBatch(run.pk, 0, write(0)), other.commitBatch(run.pk, 0, write(1000))]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const cols = await store.readHistory(run.pk);
    expect(cols.numeric[0]!.steps.length).toBe(100);
    expect(await store.listHistoryKeys(run.pk)).toEqual(['x']);
  });

  it('writes small batches as they come, compacts them into big chunks, and splits big writes (the layout; the cells are the contract)', async () => {
    await using db = await testDatabase();
    await using store = await openPostgresStore(db.url);
    const run = await store.createRun(newRun('a'));
    let seq = 0;
    for (let s = 0; s < 3000; s += 10) {
      await store.commitBatch(run.pk, seq, { appliedSeq: ++seq, numeric: [{ key: 'x', steps: range(s, s + 10), values: range(s, s + 10) }] });
    }
    const count = async () => (await store.pool.query<{ n: number }>('SELECT n FROM history_chunks ORDER BY first_step')).rows;
    // No tail is read back and rewritten on the write path: one chunk per batch.
    expect(await count()).toHaveLength(300);
    expect(await store.compactHistory()).toEqual({ runs: 1, keys: 1, chunksRemoved: 300, chunksWritten: 1 });
    expect((await count()).map((c) => c.n)).toEqual([3000]);
    expect(await store.compactHistory()).toEqual({ runs: 0, keys: 0, chunksRemoved: 0, chunksWritten: 0 });
    await store.commitBatch(run.pk, seq, { appliedSeq: ++seq, numeric: [{ key: 'x', steps: range(3000, 20_000), values: range(3000, 20_000) }] });
    const chunks = await count();
    expect(chunks.map((c) => c.n)).toEqual([3000, CHUNK_MAX_POINTS, CHUNK_MAX_POINTS, CHUNK_MAX_POINTS, CHUNK_MAX_POINTS, 17_000 - 4 * CHUNK_MAX_POINTS]);
  });

  it('refuses text PostgreSQL cannot hold as INVALID_ARGUMENT, writing nothing', async () => {
    await using db = await testDatabase();
    await using store = await openPostgresStore(db.url);
    const run = await store.createRun(newRun('a'));
    await expect(store.commitBatch(run.pk, 0, { appliedSeq: 1, numeric: [{ key: 'a\u0000b', steps: range(0, 1), values: range(0, 1) }] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(await store.getRunByPk(run.pk)).toMatchObject({ version: 0, appliedSeq: 0 });
  });
});

function openRequest(over: Partial<OpenRunRequestMessage> = {}): OpenRunRequestMessage {
  return withOpenRunDefaults({ project: 'proj', runId: 'run1', name: 'run1', rank: -1, localRank: -1, ...over });
}

const RUN = { entity: 'local', project: 'proj', runId: 'run1' };

describe('Engine over PostgresStore', () => {
  it('reads back the same history, summary and alerts as over SQLite', async () => {
    const now = () => 1_700_000_000;
    await using db = await testDatabase();
    await using pgStore = await openPostgresStore(db.url);
    await using pgEngine = new Engine(pgStore, { now });
    await using sqliteEngine = new Engine(openSqliteStore(':memory:'), { now });
    let seq = 0;
    const batches: RecordMessage[][] = [];
    batches.push([
      { seq: ++seq, kind: 'metric', metric: { name: 'loss', stepMetric: '', stepSync: false, hidden: false, summary: 'min,max', goal: '', overwrite: false } },
      { seq: ++seq, kind: 'config', config: { valuesJson: JSON.stringify({ lr: 0.1, opt: { name: 'adam' } }), allowValChange: false, removed: [] } },
    ]);
    for (let b = 0; b < 6; b++) {
      const rows = new RowsBuilder();
      for (let i = 0; i < 700; i++) {
        const step = b * 700 + i;
        const data: Record<string, unknown> = { loss: 1 / (step + 1), 'train/acc': step % 7 === 0 ? Number.NaN : step / 5000 };
        if (step % 100 === 0) data['phase'] = `p${step / 100}`;
        if (step % 333 === 0) data['nested'] = { a: step, b: [1, 2] };
        rows.add({ step, timestamp: 1.7e9 + step, data }, step / 10);
      }
      batches.push([{ seq: ++seq, kind: 'rows', rows: rows.build() }]);
    }
    batches.push([
      { seq: ++seq, kind: 'summary', summary: { setJson: JSON.stringify({ best: 0.5 }), removed: [] } },
      { seq: ++seq, kind: 'alert', alert: { title: 'slow', text: 'it is slow', level: 'WARN', waitDurationMs: 0, timestamp: 1_700_000_000 } },
      { seq: ++seq, kind: 'exit', exit: { exitCode: 0, updateFinishState: true } },
    ]);
    for (const engine of [pgEngine, sqliteEngine]) {
      await engine.openRun(openRequest({ group: 'g', tags: ['x'] }));
      for (const batch of batches) await engine.applyBatch(RUN, batch);
      // A resent batch changes nothing.
      expect((await engine.applyBatch(RUN, batches[1]!)).appliedSeq).toBe(seq);
    }
    const pgHistory = await pgEngine.history(RUN);
    expect(pgHistory).toHaveLength(4200);
    expect(pgHistory).toEqual(await sqliteEngine.history(RUN));
    expect(await pgEngine.history(RUN, { keys: ['phase'], samples: 10 })).toEqual(await sqliteEngine.history(RUN, { keys: ['phase'], samples: 10 }));
    expect(await pgEngine.scanHistory(RUN, { fromStep: 1000, pageSize: 50 })).toEqual(await sqliteEngine.scanHistory(RUN, { fromStep: 1000, pageSize: 50 }));
    const pgRun = await pgEngine.getRun(RUN);
    expect(pgRun).toEqual(await sqliteEngine.getRun(RUN));
    expect(pgRun).toMatchObject({ state: 'finished', appliedSeq: seq, lastStep: 4199 });
    const strip = <T extends { id: number; runPk: number }>(xs: T[]) => xs.map(({ id: _id, runPk: _pk, ...rest }) => rest);
    expect(strip(await pgEngine.alerts(RUN))).toEqual(strip(await sqliteEngine.alerts(RUN)));
    expect(strip(await pgEngine.runEvents(RUN))).toEqual(strip(await sqliteEngine.runEvents(RUN)));
  });
});
