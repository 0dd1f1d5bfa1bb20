import { afterAll, beforeAll, inject } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/harness/postgres-service.js';
import { openPostgresStore } from './postgres/postgres-store.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';
import { describeStoreContract } from './testing/store-contract.js';

/** One contract, every store: SQLite in memory, and Postgres in a schema of its own per test (one database for the file). */
let db: TestDatabase;
let schemas = 0;
beforeAll(async () => {
  db = await createTestDatabase(inject('databaseUrl'));
});
afterAll(() => db?.drop());

describeStoreContract('SQLite', async () => {
  const store = openSqliteStore(':memory:');
  return { store, [Symbol.asyncDispose]: () => store.close() };
});

describeStoreContract('Postgres', async () => {
  const store = await openPostgresStore(db.url, { schema: `contract_${++schemas}`, max: 2 });
  return { store, [Symbol.asyncDispose]: () => store.close() };
});
