import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../../../../test/harness/postgres-service.js';
import { newRun } from '../testing/new-run.js';
import type { BatchWrite } from '../types.js';
import { EMPTY_KEY_INDEX, KEY_INDEX_NOT_KEPT, KeyIndexCache, MAX_INDEXED_KEYS, formatKeyIndex, parseKeyIndex, planKeys } from './pg-key-index.js';
import { openPostgresStore, type PostgresStore } from './postgres-store.js';

const testDatabase = () => createTestDatabase(inject('databaseUrl'));
const range = (from: number, to: number): Float64Array => Float64Array.from({ length: to - from }, (_, i) => from + i);
const numericOf = (entries: Array<[string, number, number]>) => new Map(entries.map(([key, from, to]) => [key, { steps: range(from, to) }]));

async function indexOf(store: PostgresStore, pk: number): Promise<string | null> {
  return (await store.pool.query<{ history_index: string | null }>('SELECT history_index FROM runs WHERE pk = $1', [pk])).rows[0]!.history_index;
}

describe('planKeys', () => {
  it('keeps known ids, hands new keys the next ids (numeric first, then JSON) and moves last steps', () => {
    const index = parseKeyIndex('{"n":2,"k":{"a":[0,9],"t":[1,null]}}')!;
    const plan = planKeys(index, numericOf([['b', 0, 5], ['a', 10, 12]]), new Map([['t', 1], ['u', 1]]));
    expect([...plan.ids]).toEqual([['b', 2], ['a', 0], ['t', 1], ['u', 3]]);
    expect(plan.added).toEqual([['b', 2], ['u', 3]]);
    expect(JSON.parse(plan.text)).toEqual({ n: 4, k: { a: [0, 11], t: [1, null], b: [2, 4], u: [3, null] } });
    // Pure: the index it was given is unchanged.
    expect(formatKeyIndex(index)).toBe('{"n":2,"k":{"a":[0,9],"t":[1,null]}}');
  });

  it('refuses a numeric series that does not start above its key last step', () => {
    const index = parseKeyIndex('{"n":1,"k":{"a":[0,9]}}')!;
    expect(() => planKeys(index, numericOf([['a', 9, 12]]), new Map())).toThrow(
      expect.objectContaining({ code: 'FAILED_PRECONDITION', message: 'history: key "a" gets step 9 but already holds step 9; steps must increase' }),
    );
    // A key with only JSON cells so far has no numeric last step.
    expect(planKeys(parseKeyIndex('{"n":1,"k":{"a":[0,null]}}')!, numericOf([['a', 0, 1]]), new Map()).ids.get('a')).toBe(0);
  });

  it('is not kept past its bound, and unknown or unreadable texts read as no index', () => {
    const keys = new Map(Array.from({ length: MAX_INDEXED_KEYS + 1 }, (_, i) => [`k${i}`, [i, null] as [number, null]]));
    expect(formatKeyIndex({ next: keys.size, keys })).toBe(KEY_INDEX_NOT_KEPT);
    for (const text of [null, undefined, KEY_INDEX_NOT_KEPT, '{', '{"n":"x","k":{}}', '[]']) expect(parseKeyIndex(text)).toBeUndefined();
    // An entry of the wrong shape, or an id at or past `n`, and the whole index is not trusted.
    for (const text of ['{"n":2,"k":{"a":[0]}}', '{"n":2,"k":{"a":[2,null]}}', '{"n":2,"k":{"a":[0,"5"]}}', '{"n":2,"k":{"a":{"id":0}}}', '{"n":1,"k":[]}']) {
      expect(parseKeyIndex(text)).toBeUndefined();
    }
    expect(parseKeyIndex('{"n":2,"k":{"a":[0,null],"b":[1,7]}}')).toEqual({ next: 2, keys: new Map([['a', [0, null]], ['b', [1, 7]]]) });
    expect(parseKeyIndex(EMPTY_KEY_INDEX)).toEqual({ next: 0, keys: new Map() });
    // Odd key names survive the text.
    const odd = '__proto__ "q" é';
    expect(parseKeyIndex(formatKeyIndex({ next: 1, keys: new Map([[odd, [0, 3]]]) }))!.keys.get(odd)).toEqual([0, 3]);
  });
});

describe('KeyIndexCache', () => {
  it('answers only the version it saw, and forgets the oldest run first', () => {
    const cache = new KeyIndexCache();
    cache.remember(1, 5, 'x');
    expect(cache.at(1, 5)).toBe('x');
    expect(cache.at(1, 4)).toBeUndefined();
    expect(cache.at(2, 5)).toBeUndefined();
    cache.remember(1, 6, null);
    expect(cache.at(1, 6)).toBeNull();
    for (let pk = 2; pk <= 8193; pk++) cache.remember(pk, 0, 'y');
    expect(cache.at(1, 6)).toBeUndefined();
    expect(cache.at(8193, 0)).toBe('y');
  });
});

describe('the key index of Postgres runs', () => {
  const batch = (appliedSeq: number, from: number, to: number, keys = ['a', 'b']): BatchWrite => ({
    appliedSeq,
    run: { lastStep: to - 1 },
    numeric: keys.map((key) => ({ key, steps: range(from, to), values: range(from, to).map((v) => v * 2) })),
    json: [{ key: 'note', steps: [from], values: [`"${from}"`] }],
  });

  it('is written with each batch, and a store that did not read the run (or read an older version) still writes the same', async () => {
    await using db = await testDatabase();
    await using one = await openPostgresStore(db.url);
    await using two = await openPostgresStore(db.url);
    const run = await one.createRun(newRun('a'));
    expect(await indexOf(one, run.pk)).toBe(EMPTY_KEY_INDEX);
    // one read the run at version 0: its batch is planned on the index.
    await one.getRunByPk(run.pk);
    expect(await one.commitBatch(run.pk, 0, batch(1, 0, 10))).toBe(true);
    expect(JSON.parse((await indexOf(one, run.pk))!)).toEqual({ n: 3, k: { a: [0, 9], b: [1, 9], note: [2, null] } });
    // two never read it: its batch resolves keys in the tables and rebuilds the index.
    expect(await two.commitBatch(run.pk, 1, batch(2, 10, 20, ['b', 'c']))).toBe(true);
    expect(JSON.parse((await indexOf(one, run.pk))!)).toEqual({ n: 4, k: { a: [0, 9], b: [1, 19], note: [2, null], c: [3, 19] } });
    // one's cached index (version 1) is stale now: version 2 misses, and the lookup path still refuses a step going back.
    await expect(one.commitBatch(run.pk, 2, batch(3, 15, 16, ['c']))).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    await expect(two.commitBatch(run.pk, 2, batch(3, 19, 21, ['b']))).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    expect(await two.commitBatch(run.pk, 2, batch(3, 20, 21, ['d', 'a']))).toBe(true);
    expect(await one.listHistoryKeys(run.pk)).toEqual(['a', 'b', 'note', 'c', 'd']);
    const cols = await one.readHistory(run.pk);
    expect(cols.numeric.map((s) => [s.key, s.steps.length])).toEqual([['a', 11], ['b', 20], ['c', 10], ['d', 1]]);
  });

  it('is rebuilt after a rewind and for a fork, whose keys come from the tables', async () => {
    await using db = await testDatabase();
    await using store = await openPostgresStore(db.url);
    const run = await store.createRun(newRun('a'));
    expect(await store.commitBatch(run.pk, 0, batch(1, 0, 10, ['a']))).toBe(true);
    expect(await store.commitBatch(run.pk, 1, batch(2, 10, 20, ['a', 'late']))).toBe(true);
    const fork = await store.forkRun(run.pk, 12, newRun('f'));
    expect(await indexOf(store, fork.pk)).toBeNull();
    expect(await store.rewindRun(run.pk, 2, 4, { lastStep: 4 })).toBe(true);
    expect(await indexOf(store, run.pk)).toBeNull();
    // The next batches rebuild both indexes: the rewound key "late" is gone, a's last step is 4 again.
    await store.getRunByPk(run.pk);
    expect(await store.commitBatch(run.pk, 3, batch(3, 5, 6, ['a']))).toBe(true);
    expect(JSON.parse((await indexOf(store, run.pk))!)).toEqual({ n: 2, k: { a: [0, 5], note: [1, null] } });
    await store.getRunByPk(fork.pk);
    await expect(store.commitBatch(fork.pk, 0, batch(1, 12, 13, ['a']))).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    expect(await store.commitBatch(fork.pk, 0, batch(1, 13, 14, ['late', 'new']))).toBe(true);
    expect(JSON.parse((await indexOf(store, fork.pk))!)).toEqual({ n: 4, k: { a: [0, 12], note: [1, null], late: [2, 13], new: [3, 13] } });
  });

  it('is not kept for a run with more keys than its bound; its batches look keys up', async () => {
    await using db = await testDatabase();
    await using store = await openPostgresStore(db.url);
    const run = await store.createRun(newRun('wide'));
    const keys = Array.from({ length: MAX_INDEXED_KEYS + 1 }, (_, i) => `k${i}`);
    await store.getRunByPk(run.pk);
    expect(await store.commitBatch(run.pk, 0, batch(1, 0, 2, keys))).toBe(true);
    expect(await indexOf(store, run.pk)).toBe(KEY_INDEX_NOT_KEPT);
    expect(await store.commitBatch(run.pk, 1, batch(2, 2, 3, ['k0', 'extra']))).toBe(true);
    expect(await indexOf(store, run.pk)).toBe(KEY_INDEX_NOT_KEPT);
    await expect(store.commitBatch(run.pk, 2, batch(3, 1, 2, ['k5']))).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    expect((await store.listHistoryKeys(run.pk)).slice(-2)).toEqual(['note', 'extra']);
  });

  it('commits a batch planned on the index in one statement, the same as the transaction path, and writes nothing when its guard fails', async () => {
    await using db = await testDatabase();
    await using fast = await openPostgresStore(db.url);
    const slowUrl = db.url;
    const a = await fast.createRun(newRun('fast'));
    const b = await fast.createRun(newRun('slow'));
    const writes: BatchWrite[] = [
      { ...batch(1, 0, 5), run: { lastStep: 4, summaryJson: '{"a":8}' } },
      { ...batch(2, 5, 10, ['a', 'c']), json: [{ key: 'note', steps: [5, 6], values: ['"x"', '"y"'] }] },
      batch(3, 10, 12, ['b']),
      // Text that array literals must quote: the word NULL, quotes, commas, braces, backslashes, emoji.
      {
        ...batch(4, 12, 13, ['odd "key", {x} \\ 🙂', 'a']),
        run: { lastStep: 12, notes: 'NULL', summaryJson: '{"s":"a\\"b,{c}\\\\ é 🙂"}', runtime: 1e-7 },
        json: [{ key: 'NULL', steps: [12], values: ['"{\\"q\\": [1, 2]}"'] }],
      },
    ];
    for (const [i, write] of writes.entries()) {
      // fast read the run at this version: its commit qualifies for one statement.
      await fast.getRunByPk(a.pk);
      expect(await fast.commitBatch(a.pk, i, write)).toBe(true);
      // A store that never read b takes the transaction path (and rebuilds b's index).
      await using slow = await openPostgresStore(slowUrl);
      expect(await slow.commitBatch(b.pk, i, write)).toBe(true);
    }
    const [ra, rb] = [(await fast.getRunByPk(a.pk))!, (await fast.getRunByPk(b.pk))!];
    expect({ ...ra, pk: 0, runId: '', name: '', createdAt: 0, updatedAt: 0 }).toEqual({ ...rb, pk: 0, runId: '', name: '', createdAt: 0, updatedAt: 0 });
    expect(await fast.readHistory(a.pk)).toEqual(await fast.readHistory(b.pk));
    expect(await fast.listHistoryKeys(a.pk)).toEqual(await fast.listHistoryKeys(b.pk));
    expect(await indexOf(fast, a.pk)).toBe(await indexOf(fast, b.pk));
    // A stale version: the guard fails and none of the batch's keys or cells land.
    await fast.getRunByPk(a.pk);
    const other = await openPostgresStore(slowUrl);
    expect(await other.commitBatch(a.pk, 4, batch(5, 13, 14, ['a']))).toBe(true);
    await other.close();
    expect(await fast.commitBatch(a.pk, 4, batch(5, 13, 15, ['zz']))).toBe(false);
    expect(await fast.listHistoryKeys(a.pk)).not.toContain('zz');
    expect((await fast.readHistory(a.pk, { keys: ['a'] })).numeric[0]!.steps.at(-1)).toBe(13);
    expect(ra).toMatchObject({ notes: 'NULL', runtime: 1e-7, summaryJson: '{"s":"a\\"b,{c}\\\\ é 🙂"}' });
  });

  it('keeps one generic plan for the one-statement commit of a run among thousands, instead of planning every call', async () => {
    await using db = await testDatabase();
    // One connection: prepared statements and their plan counts are per connection.
    await using store = await openPostgresStore(db.url, { max: 1 });
    // 2,000 runs and their statistics: past a few pages of runs, a generic plan that counted unnest's default 10 rows lost to the custom plans.
    await store.pool.query(
      "INSERT INTO runs (entity, project, run_id, state, start_time, opened_at, created_at, updated_at) SELECT 'e', 'p', 'r' || g, 'finished', 0, 0, 0, 0 FROM generate_series(1, 2000) g",
    );
    await store.pool.query('ANALYZE runs');
    const run = await store.createRun(newRun('a'));
    await store.getRunByPk(run.pk);
    for (let i = 0; i < 8; i++) expect(await store.commitBatch(run.pk, i, batch(i + 1, i * 10, i * 10 + 10))).toBe(true);
    const { rows } = await store.pool.query<{ generic_plans: number; custom_plans: number }>(
      "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name LIKE 'cohort-commit-%'",
    );
    // PostgreSQL makes 5 custom plans, then takes its generic plan when that costs no more than they did.
    expect(rows).toEqual([{ generic_plans: 3, custom_plans: 5 }]);
  });
});
