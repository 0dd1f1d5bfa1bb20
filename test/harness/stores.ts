import { inject } from 'vitest';
import { openPostgresStore, openSqliteStore, type Store } from '@cohort/store';
import { createTestDatabase } from './postgres-service.js';

/** A store opened for one test, closed (and its database dropped) on dispose. */
export type TestStore = { store: Store } & AsyncDisposable;

/**
 * Each store kind, opened fresh per call: SQLite in memory, and PostgreSQL in
 * a database of its own (the global setup's server). For `describe.each`.
 *
 * @example
 * describe.each(EACH_STORE)('ArtifactStore over %s', (_name, open) => { ... await using s = await open(); ... });
 */
export const EACH_STORE: ReadonlyArray<readonly [string, () => Promise<TestStore>]> = [
  [
    'SQLite',
    async () => {
      const store = openSqliteStore(':memory:');
      return { store, [Symbol.asyncDispose]: () => store.close() };
    },
  ],
  [
    'Postgres',
    async () => {
      const db = await createTestDatabase(inject('databaseUrl'));
      const store = await openPostgresStore(db.url);
      return {
        store,
        [Symbol.asyncDispose]: async () => {
          await store.close();
          await db[Symbol.asyncDispose]();
        },
      };
    },
  ],
];
