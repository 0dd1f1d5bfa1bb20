import { describe, expect, it } from 'vitest';
import { CohortError } from '@cohort/protocol';
import { resolveInitOptions } from './init-options.js';
import { readEnv } from './env.js';
import { resolveSettings } from './settings.js';
import { silentLogger } from './logger.js';

describe('resolveInitOptions', () => {
  it('fills defaults from the environment', () => {
    const o = resolveInitOptions({}, { COHORT_PROJECT: 'p1', COHORT_ENTITY: 'team', COHORT_MODE: 'offline', COHORT_DIR: '/tmp/x', RANK: '3', WORLD_SIZE: '8' });
    expect(o).toMatchObject({ project: 'p1', entity: 'team', mode: 'offline', baseDir: '/tmp/x', rank: 3, worldSize: 8, localRank: -1, url: 'http://127.0.0.1:7712' });
  });

  it('uses the project "uncategorized" and no rank by default', () => {
    const o = resolveInitOptions(undefined, {});
    expect(o.project).toBe('uncategorized');
    expect(o.rank).toBe(-1);
    expect(o.mode).toBe('online');
    expect(o.resume).toBe('');
  });

  it('prefers options over the environment', () => {
    const o = resolveInitOptions({ project: 'mine', mode: 'disabled' }, { COHORT_PROJECT: 'env', COHORT_MODE: 'offline' });
    expect(o.project).toBe('mine');
    expect(o.mode).toBe('disabled');
  });

  it('accepts snake_case option names', () => {
    const o = resolveInitOptions({ job_type: 'train', world_size: 4, local_rank: 1, fork_from: 'abc?_step=3' } as never, {});
    expect(o).toMatchObject({ jobType: 'train', worldSize: 4, localRank: 1, forkFrom: 'abc?_step=3' });
  });

  it('maps resume true to allow and false to none', () => {
    expect(resolveInitOptions({ resume: true }, {}).resume).toBe('allow');
    expect(resolveInitOptions({ resume: false }, { COHORT_RESUME: 'must' }).resume).toBe('');
    expect(resolveInitOptions({}, { COHORT_RESUME: 'auto' }).resume).toBe('auto');
  });

  it('names the option and the rule in errors', () => {
    expect(() => resolveInitOptions({ mode: 'onlin' as never }, {})).toThrow(/`options\.mode`/);
    expect(() => resolveInitOptions({ rank: -1 }, {})).toThrow(/`options\.rank`/);
    expect(() => resolveInitOptions({ projekt: 'x' } as never, {})).toThrow(/unknown name `options\.projekt`/);
    expect(() => resolveInitOptions({ config: [1] as never }, {})).toThrow(/`options\.config`: expected a plain object/);
  });

  it('rejects resume, resumeFrom and forkFrom together', () => {
    expect(() => resolveInitOptions({ resume: 'allow', forkFrom: 'a?_step=1' }, {})).toThrow(/`resume` and `forkFrom` cannot be given together/);
    expect(() => resolveInitOptions({ resumeFrom: 'a?_step=1', forkFrom: 'b?_step=1' }, {})).toThrow(CohortError);
  });

  it('requires an id in shared mode', () => {
    expect(() => resolveInitOptions({ mode: 'shared' }, {})).toThrow(/Shared mode needs/);
    expect(resolveInitOptions({ mode: 'shared', id: 'abc' }, {}).mode).toBe('shared');
    expect(resolveInitOptions({ id: 'abc', settings: { mode: 'shared' } }, {}).mode).toBe('shared');
  });
});

describe('readEnv', () => {
  it('names a bad variable', () => {
    expect(() => readEnv({ COHORT_MODE: 'sometimes' })).toThrow(/COHORT_MODE/);
    expect(() => readEnv({ RANK: 'two' })).toThrow(/RANK/);
  });

  it('falls back through the launchers for the rank', () => {
    expect(readEnv({ SLURM_PROCID: '5', SLURM_NTASKS: '16' })).toMatchObject({ rank: 5, worldSize: 16 });
    expect(readEnv({ OMPI_COMM_WORLD_RANK: '2', RANK: '1' }).rank).toBe(1);
    expect(readEnv({ COHORT_URL: '  ' }).url).toBeUndefined();
  });
});

describe('resolveSettings', () => {
  it('fills defaults and freezes the result', () => {
    const s = resolveSettings({}, { label: 'host-1' });
    expect(s).toMatchObject({ silent: false, heartbeatSeconds: 15, finishTimeoutMs: 60_000, flushIntervalMs: 200, label: 'host-1', updateFinishState: true });
    expect(Object.isFrozen(s)).toBe(true);
  });

  it('rejects an unknown setting by name', () => {
    expect(() => resolveSettings({ heartbeat: 5 }, { label: 'x' })).toThrow(/unknown name `settings\.heartbeat`/);
    try {
      resolveSettings({ heartbeat: 5 }, { label: 'x' });
    } catch (err) {
      expect((err as CohortError).code).toBe('INVALID_ARGUMENT');
    }
  });

  it('rejects a bad value naming the setting', () => {
    expect(() => resolveSettings({ heartbeatSeconds: 0 }, { label: 'x' })).toThrow(/`settings\.heartbeatSeconds`/);
    expect(() => resolveSettings({ logger: {} }, { label: 'x' })).toThrow(/`settings\.logger`: expected an object with debug/);
  });

  it('accepts snake_case names and uses the silent logger when silent', () => {
    const s = resolveSettings({ heartbeat_seconds: 2, silent: true }, { label: 'x' });
    expect(s.heartbeatSeconds).toBe(2);
    expect(s.logger).toBe(silentLogger);
  });
});
