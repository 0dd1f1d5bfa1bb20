import type { TestProject } from 'vitest/node';
import { providePostgres } from './harness/postgres-service.js';
import { provideRedis } from './harness/redis-service.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    /** A PostgreSQL URL whose user may CREATE DATABASE; tests use `createTestDatabase(url)`. */
    databaseUrl: string;
  }
}

/** Finds or starts the services the tests talk to, once per test run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // An uploader left by a test's unfinished online run (docs/sdk.md, how a run ends) gives up within a minute once its server is gone.
  process.env['COHORT_UPLOADER_MAX_SECONDS'] ??= '60';
  const redis = await provideRedis();
  project.provide('redisUrl', redis.url);
  let postgres;
  try {
    postgres = await providePostgres();
  } catch (err) {
    await redis.stop();
    throw err;
  }
  project.provide('databaseUrl', postgres.url);
  return async () => {
    try {
      await postgres.stop();
    } finally {
      await redis.stop();
    }
  };
}
