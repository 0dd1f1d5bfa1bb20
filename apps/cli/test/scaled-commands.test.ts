import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../../../test/harness/postgres-service.js';
import { runCli } from '../src/index.js';
import { testContext } from './helpers.js';

async function readyLine(ctx: { out: () => string }, prefix: string): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const line = ctx.out().split('\n').find((l) => l.startsWith(prefix));
    if (line !== undefined) return line;
    if (Date.now() > deadline) throw new Error(`no "${prefix}" line; got ${JSON.stringify(ctx.out())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('cohort server --redis --postgres and cohort worker', () => {
  it('start in scaled mode from flags and the environment, print their ready lines, and stop on abort', async () => {
    await using db = await createTestDatabase(inject('databaseUrl'));
    const prefix = `test-${randomUUID()}`;
    const env = { COHORT_REDIS_URL: inject('redisUrl'), COHORT_POSTGRES_URL: db.url, COHORT_QUEUE_PREFIX: prefix };
    const serverCtx = testContext({ env });
    const server = runCli(['server', '--grpc-port', '0', '--http-port', '0'], serverCtx);
    const workerCtx = testContext({ env });
    const worker = runCli(['worker', '--http-port', '0', '--concurrency', '3'], workerCtx);
    try {
      const serverLine = await readyLine(serverCtx, 'cohort server ready ');
      expect(serverLine).toMatch(new RegExp(`^cohort server ready grpc=127\\.0\\.0\\.1:\\d+ http=http://127\\.0\\.0\\.1:\\d+ mode=scaled prefix=${prefix}$`));
      const workerLine = await readyLine(workerCtx, 'cohort worker ready ');
      expect(workerLine).toMatch(/^cohort worker ready http=http:\/\/127\.0\.0\.1:\d+ concurrency=3$/);
      const http = /http=(\S+)/.exec(serverLine)![1]!;
      expect((await fetch(`${http}/readyz`)).status).toBe(200);
      const workerHttp = /http=(\S+)/.exec(workerLine)![1]!;
      expect((await fetch(`${workerHttp}/readyz`)).status).toBe(200);
    } finally {
      serverCtx.abort();
      workerCtx.abort();
    }
    expect(await server).toBe(0);
    expect(await worker).toBe(0);
    expect(serverCtx.err()).toBe('');
  });

  it('names the missing or bad flag', async () => {
    const worker = testContext();
    expect(await runCli(['worker', '--postgres', 'postgres://x/y'], worker)).toBe(2);
    expect(worker.err()).toContain('cohort worker: --redis: required (or COHORT_REDIS_URL)');
    const badUrl = testContext();
    expect(await runCli(['worker', '--redis', 'http://x', '--postgres', 'postgres://x/y'], badUrl)).toBe(2);
    expect(badUrl.err()).toContain('--redis: Expected `redisUrl` to be a redis:// URL, redis+cluster://host:port,host:port,... or redis+sentinel://host:port,.../mastername, got `http://x` (string)');
    const server = testContext();
    expect(await runCli(['server', '--redis', 'redis://127.0.0.1:1'], server)).toBe(2);
    expect(server.err()).toContain('--postgres (or COHORT_POSTGRES_URL): required in scaled mode');
    const concurrency = testContext();
    expect(await runCli(['worker', '--redis', 'redis://x', '--postgres', 'postgres://x/y', '--concurrency', '0'], concurrency)).toBe(2);
    expect(concurrency.err()).toContain('--concurrency: Expected `concurrency` to be an integer from 1 to 1024, got `0` (number)');
  });
});
