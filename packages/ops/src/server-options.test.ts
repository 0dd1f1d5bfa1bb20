import { describe, expect, it } from 'vitest';
import { OptionsError, parseOptions } from './option-rules.js';
import { coordinatorOptionsSchema, workerOptionsSchema } from './server-options.js';

describe('server options', () => {
  it('fills in the defaults', () => {
    const engine = { defaultEntity: 'x' };
    const o = parseOptions(coordinatorOptionsSchema, { grpcPort: 0, engine, scaled: { redisUrl: 'redis://r:6379' } });
    expect(o).toMatchObject({ dataDir: ':memory:', grpcHost: '127.0.0.1', grpcPort: 0, httpPort: 7712, shutdownTimeoutMs: 5000, sweepIntervalMs: 10_000 });
    expect(o.scaled).toMatchObject({ redisUrl: 'redis://r:6379', prefix: 'cohort', maxQueueDepth: 512, maxJobBatches: 16 });
    expect(parseOptions(workerOptionsSchema, { redisUrl: 'redis://r', postgresUrl: 'postgres://p/db' })).toMatchObject({ concurrency: 4, prefix: 'cohort', lockDurationMs: 30_000 });
  });

  it('names the field, the rule and the value', () => {
    const bad = (schema: typeof coordinatorOptionsSchema | typeof workerOptionsSchema, input: object) => {
      try {
        parseOptions(schema, input);
      } catch (err) {
        expect(err).toBeInstanceOf(OptionsError);
        return `${(err as OptionsError).path} | ${(err as OptionsError).message}`;
      }
      throw new Error('expected an OptionsError');
    };
    expect(bad(coordinatorOptionsSchema, { grpcPort: 70_000 })).toBe('grpcPort | Expected `grpcPort` to be an integer from 0 to 65535, got `70000` (number)');
    expect(bad(coordinatorOptionsSchema, { httpPort: 'x' })).toBe('httpPort | Expected `httpPort` to be an integer from 0 to 65535, got `x` (string)');
    expect(bad(coordinatorOptionsSchema, { sweepIntervalMs: 1.5 })).toBe('sweepIntervalMs | Expected `sweepIntervalMs` to be 0 (off) or an integer from 10 to 86400000, got `1.5` (number)');
    expect(bad(coordinatorOptionsSchema, { compactionIntervalMs: 5 })).toBe('compactionIntervalMs | Expected `compactionIntervalMs` to be 0 (off) or an integer from 10 to 86400000, got `5` (number)');
    expect(bad(coordinatorOptionsSchema, { rateLimit: { burst: 0.5 } })).toBe('rateLimit.burst | Expected `rateLimit.burst` to be an integer from 1 to 1000000, got `0.5` (number)');
    expect(bad(coordinatorOptionsSchema, { rateLimit: true })).toBe('rateLimit | Expected `rateLimit` to be false or { requestsPerSecond, burst }, got `true` (boolean)');
    expect(bad(coordinatorOptionsSchema, { auth: 'open' })).toBe('auth | Expected `auth` to be one of keys, none, got `open` (string)');
    expect(bad(coordinatorOptionsSchema, { scaled: { redisUrl: 'redis://r', prefix: 'a b' }, engine: {} })).toBe(
      'scaled.prefix | Expected `scaled.prefix` to be 1 to 64 letters, digits, _ . - { }, got `a b` (string)',
    );
    expect(bad(coordinatorOptionsSchema, { scaled: { redisUrl: 'redis://r', maxJobBatches: 257 }, engine: {} })).toMatch(/^scaled\.maxJobBatches \| .* an integer from 1 to 256, got `257`/);
    expect(bad(coordinatorOptionsSchema, { scaled: { redisUrl: 'redis://r' } })).toBe(
      'scaled.postgresUrl | Expected `scaled.postgresUrl` to be a postgres:// URL (or give `engine`), got `undefined` (undefined)',
    );
    // A password in a URL is not shown.
    expect(bad(workerOptionsSchema, { redisUrl: 'http://u:secret@h/' })).toBe('redisUrl | Expected `redisUrl` to be a redis:// URL, redis+cluster://host:port,host:port,... or redis+sentinel://host:port,.../mastername, got `http://u:***@h/` (string)');
    expect(bad(workerOptionsSchema, { redisUrl: 'redis://r', postgresUrl: 'postgres://p/db', concurrency: 0 })).toBe(
      'concurrency | Expected `concurrency` to be an integer from 1 to 1024, got `0` (number)',
    );
    expect(bad(workerOptionsSchema, { redisUrl: 'redis://r' })).toBe('postgresUrl | Expected `postgresUrl` to be a postgres:// URL (or give `store`), got `undefined` (undefined)');
  });
});
