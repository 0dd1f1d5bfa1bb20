import { afterEach, describe, expect, it } from 'vitest';
import { CohortError, ConfigError, UsageError } from '@cohort/protocol';
import * as sdk from './init.js';
import { init, withRun } from './init.js';
import { recordingLogger } from './test-logger.js';
import type { Run } from './run.js';

async function disabled(extra: Record<string, unknown> = {}) {
  const logger = recordingLogger();
  const run = await init({ mode: 'disabled', project: 'unit', settings: { logger }, ...extra });
  return { run, logger };
}

afterEach(async () => {
  await sdk.finish();
});

describe('a run in disabled mode', () => {
  it('counts steps like the step machine', async () => {
    const { run } = await disabled();
    expect(run.step).toBe(0);
    run.log({ a: 1 });
    run.log({ a: 2 });
    expect(run.step).toBe(2);
    run.log({ k: 1 }, { step: 5 });
    run.log({ k: 2 });
    expect(run.step).toBe(6);
    expect(run.summary.get('k')).toBe(2);
    expect(run.summary.get('_step')).toBe(5);
  });

  it('keeps a commit: false value out of the summary until its row flushes', async () => {
    const { run } = await disabled();
    run.log({ x: 1 }, { commit: false });
    expect(run.summary.get('x')).toBeUndefined();
    run.log({ y: 2 });
    expect(run.summary.toJSON()).toMatchObject({ x: 1, y: 2, _step: 0 });
    expect(typeof run.summary.get('_runtime')).toBe('number');
    expect(typeof run.summary.get('_timestamp')).toBe('number');
  });

  it('warns and drops a call with a step below the current one', async () => {
    const { run, logger } = await disabled();
    run.log({ a: 1 }, { step: 3 });
    run.log({ a: 9 }, { step: 1 });
    expect(logger.lines).toContainEqual(['warn', expect.stringMatching(/Tried to log to step 1 that is less than the current step 3/)]);
    run.log({}, { commit: true });
    expect(run.summary.get('a')).toBe(1);
  });

  it('does not mutate the caller\'s object', async () => {
    const { run } = await disabled();
    const data = { loss: 1, nested: { a: 1 }, _step: 7 };
    const copy = structuredClone(data);
    run.log(data);
    run.log({ nested: { b: 2 } });
    expect(data).toEqual(copy);
    expect(run.summary.get('nested')).toEqual({ a: 1, b: 2 });
  });

  it('rejects data that is not a plain object with a TypeError', async () => {
    const { run } = await disabled();
    expect(() => run.log(new Map() as never)).toThrow(TypeError);
    expect(() => run.log([1] as never)).toThrow(TypeError);
    expect(() => run.log({ f: () => 1 })).toThrow(TypeError);
  });

  it('summarizes docs/run-semantics.md §2 case 1: a "*" glob keeps latest values', async () => {
    const { run } = await disabled();
    run.defineMetric('*');
    run.log({ mystep: 1, val: 2 });
    run.log({ mystep: 2, val: 8 });
    run.log({ mystep: 3, val: 3 });
    run.log({ val2: 4 });
    run.log({ val2: 1 });
    expect(run.summary.toJSON()).toMatchObject({ val: 3, val2: 1, mystep: 3 });
  });

  it('summarizes docs/run-semantics.md §2 case 4 for each aggregation', async () => {
    const expected: Record<string, unknown> = { min: { min: 1 }, max: { max: 8 }, last: { last: 3 }, mean: { mean: 4 }, first: { first: 1 } };
    for (const s of Object.keys(expected)) {
      const { run } = await disabled();
      run.defineMetric('val', { summary: s });
      for (const v of [1, 8, 3]) run.log({ val: v });
      expect(run.summary.get('val')).toEqual(expected[s]);
    }
  });

  it('summarizes docs/run-semantics.md §2 case 6: step metrics with and without stepSync', async () => {
    const { run } = await disabled();
    run.defineMetric('val', { summary: 'min', stepMetric: 'mystep', stepSync: false });
    run.log({ val: 2, val2: 5, mystep: 1 });
    run.log({ mystep: 3 });
    run.log({ val: 8 });
    run.log({ val2: 8 });
    run.log({ val: 3, mystep: 5 });
    expect(run.summary.toJSON()).toMatchObject({ val: { min: 2 }, val2: 8, mystep: 5 });
  });

  it('summarizes docs/run-semantics.md §2 cases 8 and 10: nested leaves and prefix globs', async () => {
    const { run } = await disabled();
    run.defineMetric('this.that', { summary: 'min,max' });
    run.defineMetric('train/*', { summary: 'max' });
    for (const v of [3, 2, 4]) run.log({ this: { that: v } });
    run.log({ 'train/l': 1, 'val/l': 1 });
    run.log({ 'train/l': 3, 'val/l': 0 });
    expect(run.summary.get('this')).toEqual({ that: { min: 2, max: 4 } });
    expect(run.summary.get('train/l')).toEqual({ max: 3 });
    expect(run.summary.get('val/l')).toBe(0);
  });

  it('keeps NaN in the summary and rejects a bad definition', async () => {
    const { run } = await disabled();
    run.defineMetric('val', { summary: 'mean' });
    for (const v of [2, NaN, 4]) run.log({ val: v });
    expect((run.summary.get('val') as { mean: number }).mean).toBeNaN();
    expect(() => run.defineMetric('a**')).toThrow(CohortError);
    expect(() => run.defineMetric('x', { summary: 'min, max' })).toThrow(/max/);
  });

  it('sets, overrides and deletes summary leaves', async () => {
    const { run } = await disabled();
    run.log({ acc: 0.5, sub: { a: 1 } });
    run.summary.set('acc', 0.9);
    run.summary.update({ sub: 'replaced' });
    expect(run.summary.toJSON()).toMatchObject({ acc: 0.9, sub: 'replaced' });
    run.log({ acc: 0.6 });
    expect(run.summary.get('acc')).toBe(0.6);
    expect(run.summary.delete('acc')).toBe(true);
    expect(run.summary.keys()).not.toContain('acc');
    run.log({ acc: 0.7 });
    expect(run.summary.get('acc')).toBe(0.7);
  });

  it('checks config changes and reads keys as properties', async () => {
    const { run } = await disabled({ config: { '--lr': 0.1, _hidden: 1 } });
    expect(run.config.lr).toBe(0.1);
    expect(run.config.keys()).toEqual(['lr']);
    run.config.update({ lr: 0.1, batch: 32 });
    expect(() => run.config.update({ lr: 0.2 })).toThrow(ConfigError);
    expect(() => run.config.update({ lr: 0.2 })).toThrow(/Attempted to change value of key "lr" from 0.1 to 0.2/);
    run.config.update({ lr: 0.2 }, { allowValChange: true });
    expect(run.config.get('lr')).toBe(0.2);
    run.config.setDefaults({ lr: 5, epochs: 3 });
    expect(run.config.toJSON()).toMatchObject({ lr: 0.2, batch: 32, epochs: 3 });
    run.config.dropout = 0.5;
    expect(run.config.get('dropout')).toBe(0.5);
    expect(() => {
      run.config.dropout = 0.6;
    }).toThrow(ConfigError);
  });

  it('throws UsageError after finish for every guarded method', async () => {
    const { run } = await disabled();
    await run.finish();
    const calls: Array<[string, () => unknown]> = [
      ['log', () => run.log({ a: 1 })],
      ['defineMetric', () => run.defineMetric('a')],
      ['alert', () => run.alert('t', 'x')],
      ['status', () => run.status()],
      ['markPreempting', () => run.markPreempting()],
      ['config.update', () => run.config.update({ a: 1 })],
      ['summary.set', () => run.summary.set('a', 1)],
      ['name', () => (run.name = 'x')],
      ['tags', () => (run.tags = ['x'])],
    ];
    for (const [method, call] of calls) {
      expect(call, method).toThrow(UsageError);
      expect(call, method).toThrow(`Run (${run.id}) is finished. The call to \`${method}\` will be ignored`);
    }
  });

  it('does nothing on a second finish and clears the live run', async () => {
    const { run } = await disabled();
    expect(sdk.run).toBe(run);
    await run.finish();
    await run.finish(3);
    expect(run.state).toBe('finished');
    expect(sdk.run).toBeUndefined();
  });

  it('finishes the active run when init is called again', async () => {
    const { run: first } = await disabled();
    const { run: second } = await disabled();
    expect(first.state).toBe('finished');
    expect(sdk.run).toBe(second);
  });

  it('finishes with 1 and rethrows when withRun\'s callback throws', async () => {
    let seen: Run | undefined;
    await expect(
      withRun({ mode: 'disabled' }, (run) => {
        seen = run;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(seen?.state).toBe('finished');
    expect(await withRun({ mode: 'disabled' }, () => 42)).toBe(42);
  });

  it('reports zeros from status and escapes the html', async () => {
    const { run } = await disabled({ name: '<b>' });
    expect(run.status()).toEqual({ syncItemsTotal: 0, syncItemsPending: 0, syncTime: null });
    expect(run.toHtml()).toContain('has no page');
    expect(run.getUrl()).toBeUndefined();
    expect(run.path).toBe(`local/unit/${run.id}`);
    expect(run.projectName()).toBe('unit');
    expect(Object.isFrozen(run.settings)).toBe(true);
  });

  it('warns that join is deprecated', async () => {
    const { run, logger } = await disabled();
    await run.join();
    expect(logger.lines).toContainEqual(['warn', expect.stringMatching(/deprecated/)]);
  });

  it('exposes the live binding through the module', async () => {
    expect(() => sdk.log({ a: 1 })).toThrow(UsageError);
    const { run } = await disabled();
    sdk.log({ a: 1 });
    expect(run.step).toBe(1);
  });
});
