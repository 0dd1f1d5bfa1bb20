import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CohortError, init } from '@cohort/sdk';
import { runCli } from '../src/index.js';
import { tempDir, testContext } from './helpers.js';

describe('cohort server --limit', () => {
  it('names a malformed or unknown limit, exit 2', async () => {
    const bad = testContext();
    expect(await runCli(['server', '--limit', 'maxRunsPerProject'], bad)).toBe(2);
    expect(bad.err()).toMatch(/^cohort server: --limit: Expected `--limit` as name=positive integer \(e\.g\. maxRunsPerProject=500\), got `maxRunsPerProject`\n/);
    const unknown = testContext({ env: { COHORT_LIMITS: 'maxRuns=3' } });
    expect(await runCli(['server'], unknown)).toBe(2);
    expect(unknown.err()).toMatch(/^cohort server: --limit: Expected `--limit` to name one of maxMessageBytes, .*, got `maxRuns`/);
    const zero = testContext();
    expect(await runCli(['server', '--limit=maxFileBytes=0'], zero)).toBe(2);
    expect(zero.err()).toMatch(/`maxFileBytes` to be a positive integer/);
  });

  it('serves with the limits it was given', async () => {
    await using dir = await tempDir();
    const ctx = testContext({ cwd: dir.path });
    const served = runCli(['server', '--data', 'data', '--grpc-port', '0', '--http-port', '0', '--limit', 'maxRunsPerProject=1', '--limit', 'maxFileBytes=1MiB'], ctx);
    try {
      while (!ctx.out().includes('ready')) await sleep(20);
      process.env['COHORT_URL'] = /http=(\S+)/.exec(ctx.out())![1]!;
      const settings = { silent: true, flushIntervalMs: 5 };
      const first = await init({ project: 'p', id: 'one', dir: join(dir.path, 'runs'), settings });
      await first.finish();
      const second = await init({ project: 'p', id: 'two', dir: join(dir.path, 'runs'), settings }).catch((err: unknown) => err);
      expect(second).toBeInstanceOf(CohortError);
      expect((second as CohortError).message).toMatch(/at most 1 are allowed \(maxRunsPerProject\)/);
    } finally {
      ctx.abort();
      expect(await served).toBe(0);
    }
  });

  it('takes the same --limit on cohort worker, and names a bad one there too', async () => {
    const bad = testContext();
    expect(await runCli(['worker', '--redis', 'redis://127.0.0.1:1', '--postgres', 'postgres://x@127.0.0.1:1/x', '--limit', 'maxKeys=3'], bad)).toBe(2);
    expect(bad.err()).toMatch(/^cohort worker: --limit: Expected `--limit` to name one of maxMessageBytes, .*, got `maxKeys`/);
  });
});
