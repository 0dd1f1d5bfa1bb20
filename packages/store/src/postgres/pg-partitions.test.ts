import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../../../../test/harness/postgres-service.js';
import type { HistoryColumns, NumericSeries } from '../types.js';
import { newRun } from '../testing/new-run.js';
import { HISTORY_PARTITIONS, PG_HISTORY_PARTITION_MIGRATION } from './pg-history-partitions.js';
import { openPostgresStore, type PostgresStore } from './postgres-store.js';

const testDatabase = () => createTestDatabase(inject('databaseUrl'));
const range = (from: number, to: number, every = 1): Float64Array => Float64Array.from({ length: Math.ceil((to - from) / every) }, (_, i) => from + i * every);
const HISTORY_TABLES = ['history_keys', 'history_chunks', 'history_json'];

/**
 * Writes `batches` small batches to a new run: `x` at consecutive steps
 * (compaction merges those in PostgreSQL), `y` at every other step (merged
 * here), `t` JSON cells. Answers the run's pk.
 */
async function writeRun(store: PostgresStore, runId: string, batches: number, group = ''): Promise<number> {
  const run = await store.createRun(newRun(runId, { group }));
  for (let b = 0; b < batches; b++) {
    const x = range(b * 4, b * 4 + 4);
    const y = range(b * 4, b * 4 + 4, 2);
    const numeric: NumericSeries[] = [
      { key: 'x', steps: x, values: x.map((s) => s / 2) },
      { key: 'y', steps: y, values: y.map((s) => -s) },
    ];
    const write = { appliedSeq: b + 1, numeric, json: [{ key: 't', steps: [x[0]!], values: [`"${runId}@${b}"`] }] };
    expect(await store.commitBatch(run.pk, b, group === '' ? write : { ...write, aggregates: { group: { entity: 'e', project: 'p', group } } })).toBe(true);
  }
  return run.pk;
}

async function histories(store: PostgresStore, pks: readonly number[]): Promise<HistoryColumns[]> {
  return Promise.all(pks.map((pk) => store.readHistory(pk)));
}

describe('history partitions (Postgres)', () => {
  it('migrating a schema that holds history keeps every row, the blob storage, and ids that keep increasing', async () => {
    await using db = await testDatabase();
    // The schema before the migration: the store opened with it recorded as done, so the tables stay plain.
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    await using _ = { [Symbol.asyncDispose]: () => admin.end() };
    await admin.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL)');
    await admin.query('INSERT INTO schema_migrations VALUES ($1, $2, 0)', [PG_HISTORY_PARTITION_MIGRATION.version, 'held back by the test']);
    const pks: number[] = [];
    let before: HistoryColumns[];
    let maxId: number;
    {
      await using old = await openPostgresStore(db.url);
      for (let r = 0; r < 12; r++) pks.push(await writeRun(old, `r${r}`, 12));
      // Compaction leaves the sequence past the highest id left.
      expect((await old.compactHistory()).chunksRemoved).toBeGreaterThan(0);
      expect((await old.pool.query("SELECT relkind FROM pg_class WHERE relname = 'history_chunks'")).rows).toEqual([{ relkind: 'r' }]);
      before = await histories(old, pks);
      maxId = (await old.pool.query<{ id: number }>('SELECT max(id) AS id FROM history_chunks')).rows[0]!.id;
    }
    const counts = async (c: pg.ClientBase | pg.Pool) =>
      (await c.query(`SELECT ${HISTORY_TABLES.map((t) => `(SELECT count(*)::int FROM ${t}) AS ${t}`).join(', ')}`)).rows[0];
    const oldCounts = await counts(admin);
    const oldIds = (await admin.query<{ id: string }>('SELECT id FROM history_chunks ORDER BY id')).rows.map((r) => Number(r.id));

    await admin.query('DELETE FROM schema_migrations WHERE version = $1', [PG_HISTORY_PARTITION_MIGRATION.version]);
    await using store = await openPostgresStore(db.url);
    const parts = await store.pool.query<{ parent: string; n: number }>(
      `SELECT p.relname AS parent, count(*)::int AS n FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
       WHERE p.relname = ANY($1::text[]) AND p.relkind = 'p' GROUP BY p.relname ORDER BY p.relname`,
      [HISTORY_TABLES],
    );
    expect(parts.rows).toEqual([...HISTORY_TABLES].sort().map((parent) => ({ parent, n: HISTORY_PARTITIONS })));
    expect(await counts(store.pool)).toEqual(oldCounts);
    expect((await store.pool.query<{ id: number }>('SELECT id FROM history_chunks ORDER BY id')).rows.map((r) => r.id)).toEqual(oldIds);
    expect(await histories(store, pks)).toEqual(before);
    // Every partition keeps the chunk blobs out of TOAST compression.
    const storage = await store.pool.query<{ attstorage: string }>(
      `SELECT DISTINCT a.attstorage FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
       WHERE c.relname LIKE 'history_chunks%' AND a.attname IN ('steps', 'vals')`,
    );
    expect(storage.rows).toEqual([{ attstorage: 'e' }]);

    const next = await writeRun(store, 'after', 10);
    const newIds = (await store.pool.query<{ id: number }>('SELECT id FROM history_chunks WHERE run_pk = $1', [next])).rows.map((r) => r.id);
    expect(Math.min(...newIds)).toBeGreaterThan(maxId);
    expect((await store.compactHistory()).chunksRemoved).toBeGreaterThan(0);
    expect(await histories(store, pks)).toEqual(before);
  });

  it("prunes each run's statements to one partition of each history table", async () => {
    await using db = await testDatabase();
    // auto_explain sends the plan of every statement, with the loops each node ran, to the client as a notice.
    const name = new URL(db.url).pathname.slice(1);
    {
      const setup = new pg.Client({ connectionString: db.url });
      await setup.connect();
      await using _ = { [Symbol.asyncDispose]: () => setup.end() };
      for (const [setting, value] of [
        ['session_preload_libraries', 'auto_explain'],
        ['auto_explain.log_min_duration', '0'],
        ['auto_explain.log_analyze', 'on'],
        ['auto_explain.log_format', 'json'],
        ['auto_explain.log_level', 'notice'],
      ]) {
        await setup.query(`ALTER DATABASE "${name}" SET ${setting} = '${value}'`);
      }
    }
    await using store = await openPostgresStore(db.url);
    const plans: Array<{ 'Query Text': string; Plan: PlanNode }> = [];
    const watched = new WeakSet<pg.PoolClient>();
    store.pool.on('acquire', (client) => {
      if (watched.has(client)) return;
      watched.add(client);
      client.on('notice', (msg) => {
        const at = msg.message?.indexOf('{') ?? -1;
        if (at >= 0) plans.push(JSON.parse(msg.message!.slice(at)));
      });
    });

    // Runs in other partitions hold cells an unpruned statement would scan.
    for (let r = 0; r < 8; r++) await writeRun(store, `other${r}`, 3);
    // With statistics, as autovacuum soon gathers them: the planner may then prefer joins that scan whole tables.
    await store.pool.query('ANALYZE');
    plans.length = 0;
    const pk = await writeRun(store, 'subject', 12, 'g');
    await store.readHistory(pk);
    await store.readHistory(pk, { keys: ['x', 't'], minStep: 4, maxStep: 20 });
    await store.readRowSteps(pk, { limit: 3 });
    await store.listHistoryKeys(pk, { match: ['x'] });
    await store.forkRun(pk, 30, newRun('fork'));
    const run = (await store.getRunByPk(pk))!;
    expect(await store.commitBatch(pk, run.version, { appliedSeq: 13, rewindAfter: 25, numeric: [{ key: 'x', steps: range(26, 28), values: range(26, 28) }] })).toBe(true);
    expect((await store.compactHistory({ minSmallChunks: 2 })).chunksRemoved).toBeGreaterThan(0);

    const partitions = /^(history_keys|history_chunks|history_json)_p\d+$/;
    const checked: string[] = [];
    for (const { 'Query Text': text, Plan: plan } of plans) {
      if (!HISTORY_TABLES.some((t) => text.includes(t))) continue;
      // The search for compaction's work spans every run, so every partition.
      if (text.includes('HAVING count(*) >= $1')) continue;
      const scanned = new Map<string, Set<string>>();
      walk(plan, (node) => {
        const rel = node['Relation Name'];
        const m = rel === undefined ? null : partitions.exec(rel);
        if (m && (node['Actual Loops'] ?? 0) > 0) scanned.set(m[1]!, (scanned.get(m[1]!) ?? new Set()).add(rel!));
      });
      for (const [table, set] of scanned) expect([text, table, set.size]).toEqual([text, table, 1]);
      checked.push(text);
    }
    // The hot statements were among those checked: per-run reads, inserts, key lookups, and deletes by id.
    for (const hot of [
      'SELECT id, key_id, first_step, last_step, n, steps, vals FROM history_chunks WHERE run_pk = $1 AND last_step >= $2',
      'SELECT key_id, step, json FROM history_json WHERE run_pk = $1',
      'SELECT key_id, first_step, last_step, n, steps FROM history_chunks',
      'SELECT key FROM history_keys',
      'INSERT INTO history_chunks',
      'INSERT INTO history_json',
      'JOIN history_keys k ON k.run_pk = w.run_pk',
      'DELETE FROM history_chunks WHERE run_pk = $1 AND first_step > $2',
      'DELETE FROM history_chunks WHERE run_pk = $1 AND id IN',
      'DELETE FROM history_chunks c WHERE c.run_pk = $3 AND c.id = ANY',
      'DELETE FROM history_chunks WHERE run_pk = $1 AND id = ANY',
      'DELETE FROM history_keys WHERE run_pk = $1',
      'JOIN history_chunks ch ON ch.run_pk = k.run_pk',
    ]) {
      expect(checked.some((text) => text.includes(hot)), hot).toBe(true);
    }
  });
});

interface PlanNode {
  'Relation Name'?: string;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

function walk(node: PlanNode, visit: (node: PlanNode) => void): void {
  visit(node);
  for (const child of node.Plans ?? []) walk(child, visit);
}
