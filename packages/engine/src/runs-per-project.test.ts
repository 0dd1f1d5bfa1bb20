import { describe, expect, it } from 'vitest';
import { CohortError } from '@cohort/protocol';
import { EACH_STORE } from '../../../test/harness/stores.js';
import { Engine } from './engine.js';
import { FakeClock, RecordLog, openRequest } from './testing/fixtures.js';

describe.each(EACH_STORE)('maxRunsPerProject over %s', (_name, open) => {
  it('counts a project\'s runs, no further than asked', async () => {
    await using s = await open();
    const engine = new Engine(s.store, { now: new FakeClock().now });
    for (const runId of ['a', 'b', 'c']) await engine.openRun(openRequest({ runId }));
    await engine.openRun(openRequest({ project: 'other', runId: 'a' }));
    expect(await s.store.countRuns('local', 'proj', 10)).toBe(3);
    expect(await s.store.countRuns('local', 'proj', 2)).toBe(2);
    expect(await s.store.countRuns('local', 'other', 10)).toBe(1);
    expect(await s.store.countRuns('local', 'none', 10)).toBe(0);
  });

  it('refuses a new run or fork past the limit, naming it, and still resumes', async () => {
    await using s = await open();
    const engine = new Engine(s.store, { now: new FakeClock().now, maxRunsPerProject: 2 });
    await engine.openRun(openRequest({ runId: 'a' }));
    await engine.applyBatch({ entity: 'local', project: 'proj', runId: 'a' }, [new RecordLog().log(0, { loss: 1 }, { loss: 2 })]);
    await engine.openRun(openRequest({ runId: 'b' }));

    const refused = await engine.openRun(openRequest({ runId: 'c' })).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(CohortError);
    expect(refused).toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      message: 'project: local/proj holds 2 runs; at most 2 are allowed (maxRunsPerProject); resume an existing run or use another project',
    });
    await expect(engine.openRun(openRequest({ runId: 'c', forkFrom: 'a?_step=1' }))).rejects.toThrow(/maxRunsPerProject/);
    await expect(engine.openRun(openRequest({ runId: '' }))).rejects.toThrow(/maxRunsPerProject/);
    expect((await s.store.listRuns('local', 'proj')).map((r) => r.runId).sort()).toEqual(['a', 'b']);

    // Resuming, rewinding and other projects are not affected.
    expect(await engine.openRun(openRequest({ runId: 'a', resume: 'allow' }))).toMatchObject({ runId: 'a', resumed: true });
    expect(await engine.openRun(openRequest({ runId: 'a', resumeFrom: 'a?_step=0' }))).toMatchObject({ runId: 'a', resumed: true });
    expect(await engine.openRun(openRequest({ project: 'other', runId: 'c' }))).toMatchObject({ project: 'other', resumed: false });
  });

  it('does not overshoot when many runs are created at the same moment', async () => {
    await using s = await open();
    const engine = new Engine(s.store, { now: new FakeClock().now, maxRunsPerProject: 3 });
    const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => engine.openRun(openRequest({ runId: `r${i}` }))));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'RESOURCE_EXHAUSTED', message: expect.stringContaining('(maxRunsPerProject)') });
    expect(await s.store.countRuns('local', 'proj', 100)).toBe(3);
  });
});
