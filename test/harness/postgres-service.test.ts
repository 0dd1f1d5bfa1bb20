import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase, providePostgres } from './postgres-service.js';

describe('providePostgres', () => {
  it('gives the tests a PostgreSQL that answers', async () => {
    const client = new pg.Client({ connectionString: inject('databaseUrl') });
    await client.connect();
    try {
      const res = await client.query<{ n: number }>('SELECT 1 + 1 AS n');
      expect(res.rows[0]?.n).toBe(2);
    } finally {
      await client.end();
    }
  });

  it('uses DATABASE_URL when it is given', async () => {
    const service = await providePostgres({ DATABASE_URL: 'postgres://u@example.invalid:1/db' });
    expect(service).toMatchObject({ url: 'postgres://u@example.invalid:1/db', source: 'env' });
    await service.stop();
  });

  it('says how to get a PostgreSQL when there is none', async () => {
    await expect(providePostgres({ PATH: '/nonexistent' })).rejects.toThrow(/DATABASE_URL.*apt-get install -y postgresql.*Docker/s);
  });
});

describe('createTestDatabase', () => {
  it('creates a database of its own and drops it after', async () => {
    const admin = inject('databaseUrl');
    const db = await createTestDatabase(admin);
    const name = new URL(db.url).pathname.slice(1);
    expect(name).toMatch(/^test_[0-9a-f]{16}$/);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    client.on('error', () => {}); // the forced drop ends this session
    const res = await client.query<{ db: string }>('SELECT current_database() AS db');
    expect(res.rows[0]?.db).toBe(name);
    // A connection left open does not keep the database alive.
    await db.drop();
    await db.drop();
    await client.end().catch(() => {});
    const check = new pg.Client({ connectionString: admin });
    await check.connect();
    try {
      const left = await check.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      expect(left.rowCount).toBe(0);
    } finally {
      await check.end();
    }
  });
});
