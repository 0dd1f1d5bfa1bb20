import type { TestProject } from 'vitest/node';
import { provideRedis } from './harness/redis-service.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/** Finds or starts the services the tests talk to, once per test run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await provideRedis();
  project.provide('redisUrl', redis.url);
  return async () => {
    await redis.stop();
  };
}
