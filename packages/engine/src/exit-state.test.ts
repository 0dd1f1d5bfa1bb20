import { describe, expect, it } from 'vitest';
import { FakeClock, RUN, RecordLog, makeEngine, openRequest } from './testing/fixtures.js';

/** How an exit record ends a run (docs/sdk.md, how a run ends): the signal, the error, a vanished process. */
describe('exit records', () => {
  it('make a run killed on SIGINT, failed with the error shown, crashed when the process vanished', async () => {
    const clock = new FakeClock();
    await using engine = makeEngine(clock);
    const stack = 'Error: boom: a bad batch\n    at train (file:///train.mjs:12:9)';
    for (const [id, exit, state, exitCode, detail] of [
      ['int', { exitCode: 130, updateFinishState: true, signal: 'SIGINT' }, 'killed', 130, 'exit code 130 (SIGINT)'],
      ['err', { exitCode: 1, updateFinishState: true, error: stack }, 'failed', 1, `exit code 1: ${stack}`],
      ['gone', { exitCode: 0, updateFinishState: true, crashed: true }, 'crashed', null, expect.stringContaining('the process vanished')],
      ['ok', { exitCode: 0, updateFinishState: true, signal: '', error: '' }, 'finished', 0, 'exit code 0'],
    ] as const) {
      await engine.openRun(openRequest({ runId: id }));
      clock.t += 10;
      const log = new RecordLog();
      await engine.applyBatch({ ...RUN, runId: id }, [log.log(0, { x: 1 }), { seq: ++log.seq, kind: 'exit', exit }]);
      const run = await engine.getRun({ ...RUN, runId: id });
      expect([run?.state, run?.exitCode ?? null], id).toEqual([state, exitCode]);
      expect((await engine.runEvents({ ...RUN, runId: id })).at(-1)?.detail, id).toEqual(detail);
    }
  });

  it('leave a crashed run crashed when its uploaded records end it, and revive it when they do not', async () => {
    const clock = new FakeClock();
    await using engine = makeEngine(clock);
    for (const id of ['ended', 'alive']) await engine.openRun(openRequest({ runId: id }));
    clock.t += 100;
    await engine.expireStaleRuns(45);
    const ended = new RecordLog();
    await engine.applyBatch({ ...RUN, runId: 'ended' }, [ended.log(0, { x: 1 }), { seq: ++ended.seq, kind: 'exit', exit: { exitCode: 0, updateFinishState: true, crashed: true } }]);
    expect((await engine.runEvents({ ...RUN, runId: 'ended' })).map((e) => e.state)).toEqual(['running', 'crashed']);
    await engine.applyBatch({ ...RUN, runId: 'alive' }, [new RecordLog().log(0, { x: 1 })]);
    expect((await engine.runEvents({ ...RUN, runId: 'alive' })).map((e) => e.state)).toEqual(['running', 'crashed', 'running']);
  });
});
