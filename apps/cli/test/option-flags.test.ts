import { describe, expect, it } from 'vitest';
import { startCoordinator, type CoordinatorOptions } from '@cohort/coordinator';
import { startWorker, type WorkerOptions } from '@cohort/worker';
import { runCli } from '../src/index.js';
import { testContext } from './helpers.js';

/** The message a bad option gets from the API (started only when asked, so no rejection waits unheard). */
async function apiError(start: () => Promise<unknown>): Promise<string> {
  const err = await start().then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(err?.name).toBe('OptionsError');
  return err!.message;
}

/** The usage error of a command line, exit 2. */
async function cliError(argv: string[]): Promise<string> {
  const ctx = testContext();
  expect(await runCli(argv, ctx)).toBe(2);
  return ctx.err().split('\n')[0]!;
}

describe('server and worker flags are checked by the options schema of the API', () => {
  it('name the flag, then the field and the rule in the words startCoordinator and startWorker use', async () => {
    const cases: Array<[string[], () => Promise<unknown>, string]> = [
      [['server', '--grpc-port', '70000'], () => startCoordinator({ grpcPort: 70_000 }), '--grpc-port'],
      [['server', '--http-port', 'many'], () => startCoordinator({ httpPort: 'many' } as unknown as CoordinatorOptions), '--http-port'],
      [['server', '--metrics-port', '1.5'], () => startCoordinator({ metricsPort: 1.5 }), '--metrics-port'],
      [['server', '--auth', 'open'], () => startCoordinator({ auth: 'open' } as unknown as CoordinatorOptions), '--auth'],
      [['server', '--rate-burst', '0'], () => startCoordinator({ rateLimit: { burst: 0 } }), '--rate-burst'],
      [['server', '--heartbeat-timeout-seconds', '0'], () => startCoordinator({ heartbeatTimeoutSeconds: 0 }), '--heartbeat-timeout-seconds'],
      [['server', '--heartbeat-timeout-seconds', '86401'], () => startCoordinator({ heartbeatTimeoutSeconds: 86_401 }), '--heartbeat-timeout-seconds'],
      [['server', '--heartbeat-sweep-interval-ms', '5'], () => startCoordinator({ sweepIntervalMs: 5 }), '--heartbeat-sweep-interval-ms'],
      [
        ['server', '--redis', 'redis://127.0.0.1:1', '--postgres', 'postgres://x/y', '--heartbeat-sweep-interval-ms', 'often'],
        () => startCoordinator({ scaled: { redisUrl: 'redis://127.0.0.1:1', postgresUrl: 'postgres://x/y' }, sweepIntervalMs: 'often' } as unknown as CoordinatorOptions),
        '--heartbeat-sweep-interval-ms',
      ],
      [
        ['server', '--redis', 'redis://127.0.0.1:1', '--postgres', 'postgres://x/y', '--prefix', 'a b'],
        () => startCoordinator({ scaled: { redisUrl: 'redis://127.0.0.1:1', postgresUrl: 'postgres://x/y', prefix: 'a b' } }),
        '--prefix',
      ],
      [
        ['server', '--redis', 'redis://127.0.0.1:1', '--postgres', 'postgres://x/y', '--queue-shards', '300'],
        () => startCoordinator({ scaled: { redisUrl: 'redis://127.0.0.1:1', postgresUrl: 'postgres://x/y', queueShards: 300 } }),
        '--queue-shards',
      ],
      [['worker', '--redis', 'redis://x', '--postgres', 'postgres://x/y', '--queue-shards', '0'], () => startWorker({ redisUrl: 'redis://x', postgresUrl: 'postgres://x/y', queueShards: 0 }), '--queue-shards'],
      [['worker', '--redis', 'redis://x', '--postgres', 'postgres://x/y', '--concurrency', '0'], () => startWorker({ redisUrl: 'redis://x', postgresUrl: 'postgres://x/y', concurrency: 0 }), '--concurrency'],
      [
        ['worker', '--redis', 'redis://x', '--postgres', 'postgres://x/y', '--lock-duration-ms', '10'],
        () => startWorker({ redisUrl: 'redis://x', postgresUrl: 'postgres://x/y', lockDurationMs: 10 } as WorkerOptions),
        '--lock-duration-ms',
      ],
    ];
    for (const [argv, api, flag] of cases) {
      const message = await apiError(api);
      expect(message).toMatch(/^Expected `[\w.]+` to be .+, got `.*` \(\w+\)$/);
      expect(await cliError(argv)).toBe(`cohort ${argv[0]}: ${flag}: ${message}`);
    }
  });
});
