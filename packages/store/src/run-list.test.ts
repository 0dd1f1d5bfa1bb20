import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../../../test/harness/postgres-service.js';
import { openPostgresStore } from './postgres/postgres-store.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';
import { newRun } from './testing/new-run.js';

async function check(store: Store): Promise<void> {
  const runs = [
    newRun('a', { tags: ['x', 'y'], configJson: '{"opt":{"lr":0.1},"bs":8,"name":"res","flag":true}', summaryJson: '{"acc":0.5}', summaryStateJson: '{"big":1}' }),
    newRun('b', { tags: ['x'], configJson: '{"opt":{"lr":0.2},"bs":8,"flag":false,"opt.lr":3}', summaryJson: '{"acc":0.9}' }),
    newRun('c', { configJson: '{"opt":{"lr":0.2},"bs":"8","nothing":null}', summaryJson: '{"acc":{"best":1}}' }),
    newRun('d', { entity: 'other' }),
  ];
  for (const r of runs) await store.createRun(r);
  const ids = async (filter: Parameters<Store['listRuns']>[2]) => (await store.listRuns('e', 'p', filter)).map((r) => r.runId);
  // Newest first, a page at a time after the previous page's last run.
  expect(await ids({})).toEqual(['c', 'b', 'a']);
  const [first] = await store.listRuns('e', 'p', { limit: 1 });
  expect(first!.runId).toBe('c');
  expect(await ids({ limit: 1, after: { createdAt: first!.createdAt, pk: first!.pk } })).toEqual(['b']);
  // A listing never reads the summary state; brief leaves out config and summary.
  expect((await store.listRuns('e', 'p', {})).map((r) => [r.runId, r.summaryStateJson, r.summaryJson !== ''])).toEqual([['c', '', true], ['b', '', true], ['a', '', true]]);
  expect((await store.listRuns('e', 'p', { brief: true })).map((r) => r.configJson + r.summaryJson)).toEqual(['', '', '']);
  // Filters in SQL: tags, and scalar leaf equality (a key as one name or split at its dots), types kept apart.
  expect(await ids({ tags: ['x'] })).toEqual(['b', 'a']);
  expect(await ids({ tags: ['x', 'y'] })).toEqual(['a']);
  expect(await ids({ config: { 'opt.lr': 0.2 } })).toEqual(['c', 'b']);
  expect(await ids({ config: { 'opt.lr': 3 } })).toEqual(['b']);
  expect(await ids({ config: { bs: 8 } })).toEqual(['b', 'a']);
  expect(await ids({ config: { bs: '8' } })).toEqual(['c']);
  expect(await ids({ config: { flag: true } })).toEqual(['a']);
  expect(await ids({ config: { flag: false, bs: 8 } })).toEqual(['b']);
  expect(await ids({ config: { nothing: null } })).toEqual(['c']);
  expect(await ids({ config: { name: 'res' }, summary: { acc: 0.5 } })).toEqual(['a']);
  expect(await ids({ summary: { 'acc.best': 1 } })).toEqual(['c']);
  // An object value may be left to the caller's exact check; the store keeps every run that could match.
  expect(await ids({ config: { opt: { lr: 0.1 } } })).toContain('a');
}

/** `Store.listRuns`: pages through the listing index, filters in SQL (docs/SECURITY.md, "Limits"). */
describe('listing runs in the store', () => {
  it('pages and filters on SQLite', async () => {
    await using store = openSqliteStore(':memory:');
    await check(store);
  });

  it('pages and filters on PostgreSQL', async () => {
    await using db = await createTestDatabase(inject('databaseUrl'));
    await using store = await openPostgresStore(db.url);
    await check(store);
  });
});
