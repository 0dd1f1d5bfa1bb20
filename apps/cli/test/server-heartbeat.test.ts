import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { init } from '@cohort/sdk';
import { runCli } from '../src/index.js';
import { tempDir, testContext } from './helpers.js';

describe('cohort server --heartbeat-timeout-seconds / --heartbeat-sweep-interval-ms', () => {
  it('marks a silent run crashed after the timeout it was given, and warns of a timeout under twice the SDK heartbeat', async () => {
    await using dir = await tempDir();
    const logged: string[] = [];
    const ctx = testContext({
      cwd: dir.path,
      env: { COHORT_HEARTBEAT_SWEEP_INTERVAL_MS: '100' },
      logger: pino({ level: 'warn' }, { write: (line: string) => void logged.push(line) }),
    });
    const served = runCli(['server', '--data', 'data', '--grpc-port', '0', '--http-port', '0', '--heartbeat-timeout-seconds', '1'], ctx);
    try {
      while (!ctx.out().includes('ready')) await sleep(20);
      const http = /http=(\S+)/.exec(ctx.out())![1]!;
      expect(logged.join('')).toContain("--heartbeat-timeout-seconds 1 is under twice the SDK's default heartbeat (15 s)");
      process.env['COHORT_URL'] = http;
      // Beats far less often than the timeout: the sweep marks it crashed while its process lives.
      const run = await init({ project: 'p', id: 'silent', dir: join(dir.path, 'runs'), settings: { silent: true, heartbeatSeconds: 600, systemMetricsSeconds: 0 } });
      let state = '';
      for (let i = 0; i < 300 && state !== 'crashed'; i++) {
        await sleep(50);
        state = ((await (await fetch(`${http}/api/v1/runs/local/p/silent`)).json()) as { state: string }).state;
      }
      expect(state).toBe('crashed');
      await run.finish();
    } finally {
      ctx.abort();
      expect(await served).toBe(0);
    }
  });

  it('reads COHORT_HEARTBEAT_TIMEOUT_SECONDS and COHORT_HEARTBEAT_SWEEP_INTERVAL_MS, the flag before the variable', async () => {
    const cases: Array<[Record<string, string>, string[], string]> = [
      [{ COHORT_HEARTBEAT_TIMEOUT_SECONDS: '0' }, [], '--heartbeat-timeout-seconds: Expected `heartbeatTimeoutSeconds` to be an integer from 1 to 86400, got `0` (number)'],
      [{ COHORT_HEARTBEAT_TIMEOUT_SECONDS: '45' }, ['--heartbeat-timeout-seconds', '1.5'], '--heartbeat-timeout-seconds: Expected `heartbeatTimeoutSeconds` to be an integer from 1 to 86400, got `1.5` (number)'],
      [{ COHORT_HEARTBEAT_SWEEP_INTERVAL_MS: '-1' }, [], '--heartbeat-sweep-interval-ms: Expected `sweepIntervalMs` to be 0 (off) or an integer from 10 to 86400000, got `-1` (number)'],
    ];
    for (const [env, argv, message] of cases) {
      const ctx = testContext({ env });
      expect(await runCli(['server', ...argv], ctx)).toBe(2);
      expect(ctx.err().split('\n')[0]).toBe(`cohort server: ${message}`);
    }
  });
});
