import { describe, expect, it } from 'vitest';
import { EACH_STORE } from '../../../../test/harness/stores.js';

const key = { entity: 'e', project: 'p', id: 'sw1' };
const now = 1_700_000_000;

describe.each(EACH_STORE)('SweepStore over %s', (_name, open) => {
  it('hands each suggestion to one caller, crashes silent trials, finishes when the search is done', async () => {
    await using s = await open();
    const sweeps = s.store.sweeps;
    await sweeps.create({ ...key, configJson: '{"method":"grid"}', state: 'running', createdAt: now, updatedAt: now });
    await expect(sweeps.create({ ...key, configJson: '{}', state: 'running', createdAt: now, updatedAt: now })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    // A search of 20 points: 2 taken by one batch of agents, then 28 callers at once: 20 distinct trials, the rest wait.
    const decide = (_: unknown, trials: readonly { paramsJson: string }[]) => (trials.length < 20 ? JSON.stringify({ x: trials.length }) : null);
    const batch = await sweeps.next(key, now, [{ agent: 'b1', timeoutSeconds: 10 }, { agent: 'b2', timeoutSeconds: 10 }], decide);
    expect(batch.map((b) => 'trial' in b && b.trial.seq)).toEqual([1, 2]);
    const answers = [...batch, ...(await Promise.all(Array.from({ length: 28 }, (_, i) => sweeps.next(key, now, [{ agent: `a${i}`, timeoutSeconds: 10 }], decide).then((a) => a[0]!))))];
    const got = answers.flatMap((a) => ('trial' in a ? [a.trial] : []));
    expect(got).toHaveLength(20);
    expect(new Set(got.map((t) => t.paramsJson)).size).toBe(20);
    expect(new Set(got.map((t) => t.id)).size).toBe(20);
    expect(answers.filter((a) => 'none' in a && a.none === 'waiting')).toHaveLength(10);
    // Agents asking in one batch: each its own answer.
    expect(await sweeps.next(key, now, [{ agent: 'x', timeoutSeconds: 10 }, { agent: 'y', timeoutSeconds: 10 }], decide)).toEqual([{ none: 'waiting' }, { none: 'waiting' }]);

    // Heartbeats keep trial 1 alive; trial 2 ends; stop requests reach trial 3; the rest go silent and crash.
    const [t1, t2, t3] = got.sort((a, b) => a.seq - b.seq);
    await sweeps.requestStop(key, [t3!.seq]);
    expect((await sweeps.heartbeat(key, t3!.seq, now + 5))?.stopRequested).toBe(true);
    expect((await sweeps.heartbeat(key, t1!.seq, now + 8))?.stopRequested).toBe(false);
    const ended = await sweeps.end(key, t2!.seq, 'finished', 0, now + 9, { metric: 0.5, historyJson: '[{"step":1,"value":0.5}]' });
    expect(ended).toMatchObject({ state: 'finished', metric: 0.5, exitCode: 0, endedAt: now + 9 });
    await sweeps.expireTrials(key, now + 12);
    const trials = await sweeps.trials(key);
    expect(trials.find((t) => t.seq === t1!.seq)?.state).toBe('running');
    expect(trials.filter((t) => t.state === 'crashed')).toHaveLength(17);
    await sweeps.end(key, t1!.seq, 'finished', 0, now + 13, { metric: Number.NaN });
    expect((await sweeps.trials(key)).find((t) => t.seq === t1!.seq)?.metric).toBeNull();
    expect(await sweeps.next(key, now + 14, [{ agent: 'late', timeoutSeconds: 10 }], decide).then((a) => a[0]!)).toEqual({ none: 'waiting' });
    expect(await sweeps.end(key, t3!.seq, 'stopped', 143, now + 14)).toMatchObject({ state: 'stopped', exitCode: 143 });
    expect(await sweeps.next(key, now + 14, [{ agent: 'late', timeoutSeconds: 10 }], decide).then((a) => a[0]!)).toEqual({ none: 'done' });
    expect((await sweeps.get(key))?.state).toBe('finished');
    expect((await sweeps.list('e', 'p')).map((x) => x.id)).toEqual(['sw1']);
  });

  it('pauses, resumes and cancels; cancel asks running trials to stop', async () => {
    await using s = await open();
    const sweeps = s.store.sweeps;
    await sweeps.create({ ...key, configJson: '{}', state: 'running', createdAt: now, updatedAt: now });
    const decide = () => '{}';
    const first = await sweeps.next(key, now, [{ agent: 'a', timeoutSeconds: 60 }], decide).then((a) => a[0]!);
    expect((await sweeps.setState(key, ['running'], 'paused', now))?.state).toBe('paused');
    expect(await sweeps.next(key, now, [{ agent: 'a', timeoutSeconds: 60 }], decide).then((a) => a[0]!)).toEqual({ none: 'paused' });
    expect((await sweeps.setState(key, ['stopped'], 'running', now))?.state).toBe('paused');
    expect((await sweeps.setState(key, ['paused'], 'running', now))?.state).toBe('running');
    expect((await sweeps.setState(key, ['running', 'paused'], 'canceled', now, true))?.state).toBe('canceled');
    expect(await sweeps.next(key, now, [{ agent: 'a', timeoutSeconds: 60 }], decide).then((a) => a[0]!)).toEqual({ none: 'stopped' });
    expect('trial' in first && (await sweeps.heartbeat(key, first.trial.seq, now + 1))?.stopRequested).toBe(true);
    expect(await sweeps.setState({ ...key, id: 'nope' }, ['running'], 'paused', now)).toBeUndefined();
  });
});
