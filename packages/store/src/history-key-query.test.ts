import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../../../test/harness/postgres-service.js';
import { openPostgresStore } from './postgres/postgres-store.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';
import { newRun } from './testing/new-run.js';

const one = (n: number) => Float64Array.from([n]);

/** Keys logged in this order; `a.b` sorts between `a` and `ab` bytewise, and `a-x` before `a.`. */
const KEYS = ['_timestamp', 'ab', 'a.b', 'a', 'a-x', 'a.c.d', 'zz', 'a/b', '_runtime', 'b'];

async function check(store: Store): Promise<void> {
  const run = await store.createRun(newRun('r'));
  expect(await store.findRunHead({ entity: 'e', project: 'p', runId: 'r' })).toEqual({ pk: run.pk, version: 0, heartbeatAt: null });
  expect(await store.findRunHead({ entity: 'e', project: 'p', runId: 'nope' })).toBeUndefined();
  expect(await store.commitBatch(run.pk, 0, { appliedSeq: 1, numeric: KEYS.map((key) => ({ key, steps: one(0), values: one(1) })) })).toBe(true);
  await store.heartbeat(run.pk, 5);
  expect(await store.findRunHead({ entity: 'e', project: 'p', runId: 'r' })).toEqual({ pk: run.pk, version: 1, heartbeatAt: 5 });
  expect(await store.listHistoryKeys(run.pk)).toEqual(KEYS);
  expect(await store.listHistoryKeys(run.pk, { visibleOnly: true, limit: 3 })).toEqual(['ab', 'a.b', 'a']);
  // `a` matches itself and the keys under `a.`, not `ab`, `a-x` or `a/b`; first logged first.
  expect(await store.listHistoryKeys(run.pk, { match: ['a', 'zz', 'missing', 'a'] })).toEqual(['a.b', 'a', 'a.c.d', 'zz']);
  expect(await store.listHistoryKeys(run.pk, { match: ['a.c', '_runtime'], visibleOnly: true })).toEqual(['a.c.d']);
  expect(await store.listHistoryKeys(run.pk, { match: ['a'], limit: 2 })).toEqual(['a.b', 'a']);
  const cols = await store.readHistory(run.pk, { keys: ['zz', 'missing', 'a'] });
  expect(cols.numeric.map((c) => c.key)).toEqual(['zz', 'a']);
}

/** `Store.listHistoryKeys` with a query and `findRunHead`, the read paths that cost by what they ask for (docs/SECURITY.md, "Limits"). */
describe('history key queries', () => {
  it('match keys and subtrees, hide automatic keys and limit, on SQLite', async () => {
    await using store = openSqliteStore(':memory:');
    await check(store);
  });

  it('match keys and subtrees, hide automatic keys and limit, on PostgreSQL', async () => {
    await using db = await createTestDatabase(inject('databaseUrl'));
    await using store = await openPostgresStore(db.url);
    await check(store);
  });
});
