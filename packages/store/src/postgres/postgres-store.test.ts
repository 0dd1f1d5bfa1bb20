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

  it('refuses a second run with the same key', async () => {
    await using db = await testDatabase();
    await using store = await openPostgresStore(db.url);
    await store.createRun(newRun('a'));
    await expect(store.createRun(newRun('a'))).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
  });

  it('commits a batch only when the version is the expected one', async () => {
    await using db = await testDatabase();
    await using store = await openPostgresStore(db.url);
    const run = await store.createRun(newRun('a'));
    const write = { appliedSeq: 1, run: { lastStep: 2 }, numeric: [{ key: 'x', steps: range(0, 3), values: range(10, 13) }] };
    expect(await store.commitBatch(run.pk, 0, write)).toBe(true);
    expect(await store.commitBatch(run.pk, 0, write)).toBe(false);
    const cols = await store.readHistory(run.pk);
    expect(Array.from(cols.numeric[0]!.values)).toEqual([10, 11, 12]);
    expect(await store.getRunByPk(run.pk)).toMatchObject({ appliedSeq: 1, lastStep: 2, version: 1 });
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

  it("keeps the applied seq of each shared-mode writer apart from the run's", async () => {
    await using db = await testDatabase();
    await using store = await openPostgresStore(db.url);
    const run = await store.createRun(newRun('a'));
    expect(await store.commitBatch(run.pk, 0, { appliedSeq: 3, writer: 'rank-1' })).toBe(true);
    expect(await store.commitBatch(run.pk, 1, { appliedSeq: 2, writer: 'rank-2' })).toBe(true);
    expect(await store.commitBatch(run.pk, 2, { appliedSeq: 5, writer: 'rank-1' })).toBe(true);
    expect([
      await store.writerAppliedSeq(run.pk, 'rank-1'),
      await store.writerAppliedSeq(run.pk, 'rank-2'),
      await store.writerAppliedSeq(run.pk, 'x'),
    ]).toEqual([5, 2, 0]);
    expect(await store.getRunByPk(run.pk)).toMatchObject({ appliedSeq: 0, version: 3 });
  });

  it('rolls back the whole batch when a write fails, key dictionary included', async () => {
    await using db = await testDatabase();
    await using store = await openPostgresStore(db.url);
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
    await expect(store.commitBatch(run.pk, 1, { appliedSeq: 2, numeric: [{ key: 'y', steps: range(3, 5), values: range(3, 4) }] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect((await store.getRunByPk(run.pk))?.appliedSeq).toBe(1);
    expect(await store.listHistoryKeys(run.pk)).toEqual(['x']);
    expect(await store.commitBatch(run.pk, 1, { appliedSeq: 2, numeric: [{ key: 'y', steps: range(3, 4), values: range(3, 4) }] })).toBe(true);
    expect(await store.listHistoryKeys(run.pk)).toEqual(['x', 'y']);
  });

  it('writes small batches as they come, compacts them into big chunks, and splits big writes', async () => {
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
    const cols = await store.readHistory(run.pk, { minStep: 1500, maxStep: 15_000 });
    expect(Array.from(cols.numeric[0]!.steps)).toEqual(Array.from(range(1500, 15_001)));
    expect(Array.from(cols.numeric[0]!.values)).toEqual(Array.from(range(1500, 15_001)));
    expect(Array.from(await store.readRowSteps(run.pk))).toEqual([]);
    await expect(
      store.commitBatch(run.pk, seq, { appliedSeq: seq + 1, numeric: [{ key: 'x', steps: range(19_999, 20_001), values: range(0, 2) }] }),
    ).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringContaining('gets step 19999 but already holds step 19999') });
  });

  it('keeps sparse steps, NaN and infinities, and odd key names exactly', async () => {
    await using db = await testDatabase();
    await using store = await openPostgresStore(db.url);
    const run = await store.createRun(newRun('a'));
    const steps = Float64Array.from([0, 3, 7, 1_000_000_000_000]);
    const values = Float64Array.from([Number.NaN, Number.POSITIVE_INFINITY, -0, 1e-308]);
    const odd = 'a"b\\c,{d} é/🙂';
    expect(await store.commitBatch(run.pk, 0, { appliedSeq: 1, numeric: [{ key: odd, steps, values }] })).toBe(true);
    const cols = await store.readHistory(run.pk, { keys: [odd, 'missing'] });
    expect(cols.numeric[0]!.key).toBe(odd);
    expect(Array.from(cols.numeric[0]!.steps)).toEqual(Array.from(steps));
    expect(Object.is(cols.numeric[0]!.values[2], -0)).toBe(true);
    expect(Array.from(cols.numeric[0]!.values)).toEqual(Array.from(values));
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

  it('keeps the last JSON cell of a step and key, like INSERT OR REPLACE', async () => {
    await using db = await testDatabase();
    await using store = await openPostgresStore(db.url);
    const run = await store.createRun(newRun('a'));
    await store.commitBatch(run.pk, 0, {
      appliedSeq: 1,
      json: [
        { key: 's', steps: [1, 2], values: ['"inserted"', '"b"'] },
        { key: 's', steps: [1], values: ['"logged"'] },
        { key: 'empty', steps: [], values: [] },
      ],
    });
    const cols = await store.readHistory(run.pk);
    expect(cols.json).toEqual([{ key: 's', steps: [1, 2], values: ['"logged"', '"b"'] }]);
    expect(await store.listHistoryKeys(run.pk)).toEqual(['s']);
  });

  it('pages through row steps with a limit', async () => {
    await using db = await testDatabase();
    await using store = await openPostgresStore(db.url);
    const run = await store.createRun(newRun('a'));
    let seq = 0;
    // Many small chunks (each batch beyond the merge threshold stands alone).
    for (let s = 0; s < 40_000; s += 2000) {
      await store.commitBatch(run.pk, seq, { appliedSeq: ++seq, numeric: [{ key: '_timestamp', steps: range(s, s + 2000), values: range(s, s + 2000) }] });
    }
    expect(Array.from(await store.readRowSteps(run.pk, { minStep: 4990, limit: 5 }))).toEqual([4990, 4991, 4992, 4993, 4994]);
    expect((await store.readRowSteps(run.pk, { minStep: 100, limit: 39_000 })).length).toBe(39_000);
    expect((await store.readRowSteps(run.pk, { minStep: 100, maxStep: 35_000, limit: 100_000 })).length).toBe(34_901);
    expect((await store.readRowSteps(run.pk, { limit: 0 })).length).toBe(0);
    expect((await store.readRowSteps(run.pk)).length).toBe(40_000);
  });

  it('rewinds history, trimming the chunk that spans the step', async () => {
    await using db = await testDatabase();
    await using store = await openPostgresStore(db.url);
    const run = await store.createRun(newRun('a'));
    await store.commitBatch(run.pk, 0, {
      appliedSeq: 1,
      numeric: [{ key: '_timestamp', steps: range(0, 10_000), values: range(0, 10_000) }],
      json: [{ key: 's', steps: [5, 5000, 9000], values: ['"a"', '"b"', '"c"'] }],
    });
    expect(await store.rewindRun(run.pk, 0, 5000, { lastStep: 5000 })).toBe(false);
    await store.commitBatch(run.pk, 1, { appliedSeq: 2, numeric: [{ key: 'late', steps: range(10_000, 10_010), values: range(0, 10) }] });
    expect(await store.rewindRun(run.pk, 2, 5000, { lastStep: 5000 }, { state: 'running', at: 9, detail: 'rewound' })).toBe(true);
    expect(await store.listHistoryKeys(run.pk)).toEqual(['_timestamp', 's']);
    expect(Array.from(await store.readRowSteps(run.pk, { minStep: 4998 }))).toEqual([4998, 4999, 5000]);
    expect((await store.readHistory(run.pk, { keys: ['s'] })).json[0]!.values).toEqual(['"a"', '"b"']);
    expect((await store.listRunEvents(run.pk)).map((e) => e.detail)).toEqual(['rewound']);
    // History continues after the rewind point.
    expect(await store.commitBatch(run.pk, 3, { appliedSeq: 3, numeric: [{ key: '_timestamp', steps: range(5001, 5003), values: range(0, 2) }] })).toBe(true);
    expect((await store.readRowSteps(run.pk)).length).toBe(5003);
    // A key logged anew after the rewind gets a fresh id, not one of the removed key.
    expect(await store.commitBatch(run.pk, 4, { appliedSeq: 4, numeric: [{ key: 'again', steps: range(5003, 5004), values: range(0, 1) }] })).toBe(true);
    expect(await store.listHistoryKeys(run.pk)).toEqual(['_timestamp', 's', 'again']);
  });

  it('forks history up to a step into a new run', async () => {
    await using db = await testDatabase();
    await using store = await openPostgresStore(db.url);
    const src = await store.createRun(newRun('a'));
    await store.commitBatch(src.pk, 0, {
      appliedSeq: 1,
      numeric: [{ key: '_timestamp', steps: range(0, 10_000), values: range(0, 10_000) }],
      json: [{ key: 's', steps: [5, 9000], values: ['"a"', '"c"'] }],
    });
    await store.commitBatch(src.pk, 1, { appliedSeq: 2, numeric: [{ key: 'late', steps: range(10_000, 10_010), values: range(0, 10) }] });
    const fork = await store.forkRun(src.pk, 6000, newRun('b'), { state: 'running', at: 3, detail: 'forked' });
    expect(await store.listHistoryKeys(fork.pk)).toEqual(['_timestamp', 's']);
    expect((await store.readRowSteps(fork.pk)).length).toBe(6001);
    expect(Array.from((await store.readHistory(fork.pk, { minStep: 5999 })).numeric[0]!.values)).toEqual([5999, 6000]);
    expect((await store.readHistory(fork.pk, { keys: ['s'] })).json[0]!.steps).toEqual([5]);
    expect((await store.readRowSteps(src.pk)).length).toBe(10_000);
    expect((await store.listRunEvents(fork.pk)).map((e) => [e.runPk, e.detail])).toEqual([[fork.pk, 'forked']]);
    await expect(store.forkRun(src.pk, 1, newRun('b'))).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
  });

  it('lists projects and runs with filters, and stale runs', async () => {
    await using db = await testDatabase();
    await using store = await openPostgresStore(db.url);
    await store.createRun(newRun('a', { group: 'g', heartbeatAt: 5 }));
    await store.createRun(newRun('b', { state: 'finished' }));
    await store.createRun(newRun('c', { project: 'q' }));
    await store.createRun(newRun('d', { project: 'Z', entity: 'e' }));
    // Bytewise order like SQLite ('Z' before 'p'), whatever the database's locale.
    expect((await store.listProjects()).map((p) => [p.project, p.runCount])).toEqual([
      ['Z', 1],
      ['p', 2],
      ['q', 1],
    ]);
    expect((await store.listProjects('e')).every((p) => typeof p.updatedAt === 'number')).toBe(true);
    expect(await store.listProjects('nobody')).toEqual([]);
    expect((await store.listRuns('e', 'p')).map((r) => r.runId)).toEqual(['b', 'a']);
    expect((await store.listRuns('e', 'p', { states: ['running'] })).map((r) => r.runId)).toEqual(['a']);
    expect(await store.listRuns('e', 'p', { states: [] })).toEqual([]);
    expect((await store.listRuns('e', 'p', { group: 'g' })).map((r) => r.runId)).toEqual(['a']);
    expect((await store.listRuns('e', 'p', { name: 'b', jobType: '' })).map((r) => r.runId)).toEqual(['b']);
    expect((await store.listStaleRuns(['running'], 3)).map((r) => r.runId)).toEqual(['c', 'd']);
    expect(await store.listStaleRuns([], 3)).toEqual([]);
  });

  it('updates runs under the version guard, with heartbeats and events', async () => {
    await using db = await testDatabase();
    await using store = await openPostgresStore(db.url);
    const run = await store.createRun(newRun('a'), { state: 'running', at: 1, detail: 'created' });
    expect(await store.updateRun(run.pk, { notes: 'n', tags: ['t'], resumed: true }, { expectedVersion: 1 })).toBe(false);
    expect(await store.updateRun(run.pk, { notes: 'n', tags: ['t'], resumed: true }, { expectedVersion: 0, event: { state: 'running', at: 2, detail: 'resumed' } })).toBe(true);
    expect(await store.updateRun(run.pk, { exitCode: 0 })).toBe(true);
    expect(await store.updateRun(999, { exitCode: 0 })).toBe(false);
    expect(await store.heartbeat(run.pk, 50, 7)).toBe(true);
    expect(await store.heartbeat(run.pk, 60)).toBe(true);
    expect(await store.heartbeat(999, 60)).toBe(false);
    expect(await store.getRunByPk(run.pk)).toMatchObject({ notes: 'n', tags: ['t'], resumed: true, exitCode: 0, version: 2, heartbeatAt: 60, runtime: 7 });
    expect((await store.listRunEvents(run.pk)).map((e) => e.detail)).toEqual(['created', 'resumed']);
  });

  it('stores alerts and finds the last unsuppressed one in a run or its group', async () => {
    await using db = await testDatabase();
    await using store = await openPostgresStore(db.url);
    const a = await store.createRun(newRun('a', { group: 'g' }));
    const b = await store.createRun(newRun('b', { group: 'g' }));
    const alert = { title: 't', text: 'x', level: 'WARN', waitDurationMs: 1000, suppressed: false };
    await store.commitBatch(a.pk, 0, { appliedSeq: 1, alerts: [{ ...alert, timestamp: 10 }, { ...alert, timestamp: 20, suppressed: true }] });
    await store.commitBatch(b.pk, 0, { appliedSeq: 1, alerts: [{ ...alert, timestamp: 15 }] });
    expect(await store.lastAlert({ runPk: a.pk }, 't')).toMatchObject({ runPk: a.pk, timestamp: 10, suppressed: false });
    expect(await store.lastAlert({ runPk: a.pk, group: { entity: 'e', project: 'p', group: 'g' } }, 't')).toMatchObject({ runPk: b.pk, timestamp: 15 });
    expect(await store.lastAlert({ runPk: a.pk }, 'other')).toBeUndefined();
    expect((await store.listAlerts(a.pk)).map((x) => [x.timestamp, x.suppressed, x.waitDurationMs])).toEqual([
      [10, false, 1000],
      [20, true, 1000],
    ]);
  });

  it('closes once and refuses calls after', async () => {
    const db = await testDatabase();
    try {
      const store = await openPostgresStore(db.url);
      await store.close();
      await store.close();
      await expect(store.listProjects()).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
      await expect(store.commitBatch(1, 0, { appliedSeq: 1 })).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    } finally {
      await db.drop();
    }
  });
});

function openRequest(over: Partial<OpenRunRequestMessage> = {}): OpenRunRequestMessage {
  return withOpenRunDefaults({ project: 'proj', runId: 'run1', rank: -1, localRank: -1, ...over });
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
