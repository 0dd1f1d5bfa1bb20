import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupChecksTask, startCoordinator, startLocalTasks, type Coordinator, type ScheduledTasks } from '@cohort/coordinator';
import type { GroupCheckOptions } from '@cohort/engine';
import { pino } from 'pino';
import { Engine } from '@cohort/engine';
import { Api } from '@cohort/sdk';
import { openSqliteStore } from '@cohort/store';
import { eventually, lossOf, startRank, torchrunEnv, type RankProcess } from './dist-harness.js';

/**
 * Real child processes with torchrun-like environments against a real
 * coordinator on port 0. Timeouts are shrunk (heartbeats every 0.2 s, a
 * 1.5 s heartbeat timeout, one-second straggler and stall windows) so each
 * test takes seconds.
 */
describe('distributed training groups', () => {
  let dataDir: string;
  let runsDir: string;
  let coordinator: Coordinator;
  let engine: Engine;
  let api: Api;
  const children: RankProcess[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cohort-dist-data-'));
    runsDir = await mkdtemp(join(tmpdir(), 'cohort-dist-runs-'));
    engine = new Engine(openSqliteStore(join(dataDir, 'cohort.db')), { progressSampleSeconds: 0.1, rateWindowSeconds: 1 });
    coordinator = await startCoordinator({ engine, grpcPort: 0, httpPort: 0 });
    api = new Api({ baseUrl: coordinator.httpUrl });
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await coordinator.close();
    await engine.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(runsDir, { recursive: true, force: true });
  });

  const rank = (group: string, r: number, worldSize: number, extra: Record<string, string> = {}, restartCount = 0): RankProcess => {
    const p = startRank({ COHORT_URL: coordinator.httpUrl, COHORT_DIR: runsDir, ...torchrunEnv(group, r, worldSize, restartCount), ...extra });
    children.push(p);
    return p;
  };

  it('keeps 8 ranks apart: a kill -9 crashes one, a SIGTERM preempts another with every row kept, the rest finish, and the aggregates add up', async () => {
    const group = 'eight';
    const procs = Array.from({ length: 8 }, (_, r) =>
      // Ranks 3 and 5 train until they are signalled (a loaded machine may read their output late).
      rank(group, r, 8, { STEPS: r === 3 || r === 5 ? '100000' : '60', STEP_MS: '15', ...(r === 0 && { TEST_SETTINGS: JSON.stringify({ systemMetricsSeconds: 0.2 }) }) }),
    );
    await Promise.all(procs.map((p) => p.waitFor(/^ready /)));
    await procs[3]!.waitFor(/^logged 20$/);
    procs[3]!.kill('SIGKILL');
    await procs[5]!.waitFor(/^logged 25$/);
    procs[5]!.kill('SIGTERM');
    const exits = await Promise.all(procs.map((p) => p.exited));
    expect(exits[3]).toEqual({ code: null, signal: 'SIGKILL' });
    // The SDK's handler flushed, then let SIGTERM end the process as it would have.
    expect(exits[5]).toEqual({ code: null, signal: 'SIGTERM' });
    for (const r of [0, 1, 2, 4, 6, 7]) expect(exits[r]).toEqual({ code: 0, signal: null });

    // The watcher (the scaled engineer's sweeper calls this on an interval) finds the silent rank.
    const view = await eventually(async () => {
      await engine.expireStaleRuns(1.5);
      const g = await api.group(`local/dist/${group}`).info();
      return g.members.every((m) => m.state !== 'running' && m.state !== 'preempting') ? g : undefined;
    }, 10_000, 'every rank to end');
    expect(view.worldSize).toBe(8);
    expect(view.primaryRank).toBe(0);
    expect(view.members.map((m) => [m.rank, m.state])).toEqual([
      [0, 'finished'],
      [1, 'finished'],
      [2, 'finished'],
      [3, 'crashed'],
      [4, 'finished'],
      [5, 'preempted'],
      [6, 'finished'],
      [7, 'finished'],
    ]);
    expect(view.members[3]!.endedAt).toBeGreaterThan(0);
    expect(view.state).toBe('crashed');

    // Every row the SIGTERM'd rank logged before the signal is stored, in order, once.
    const preempted = await api.run(`local/dist/${view.members[5]!.runId}`);
    const steps5 = (await preempted.history({ keys: ['loss'] })).map((r) => r['_step']);
    const lastBeforeSignal = 25;
    expect(steps5.length).toBeGreaterThan(lastBeforeSignal);
    expect(steps5).toEqual(Array.from({ length: steps5.length }, (_, i) => i));
    // Calls after the handler ran are dropped (not thrown into the training loop); nothing is invented.
    expect(steps5.length).toBeLessThanOrEqual(procs[5]!.lastLogged() + 1);

    // Group aggregates against a computation here, over the rows each rank actually stored.
    const stored = new Map<number, number[]>();
    for (const m of view.members) {
      const rows = await (await api.run(`local/dist/${m.runId}`)).history({ keys: ['loss'] });
      stored.set(m.rank!, rows.map((r) => r['_step'] as number));
    }
    for (const r of [0, 1, 2, 4, 6, 7]) expect(stored.get(r)).toHaveLength(60);
    const agg = await api.group(`local/dist/${group}`).history({ keys: ['loss'] });
    const allSteps = [...new Set([...stored.values()].flat())].sort((a, b) => a - b);
    expect(agg.map((r) => r._step)).toEqual(allSteps);
    for (const row of agg) {
      const values = [...stored].filter(([, steps]) => steps.includes(row._step)).map(([r]) => lossOf(r, row._step));
      const got = row['loss'] as { mean: number; min: number; max: number; count: number };
      expect(got.count).toBe(values.length);
      expect(got.min).toBe(Math.min(...values));
      expect(got.max).toBe(Math.max(...values));
      expect(got.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 10);
    }

    // System metrics of rank 0: labelled by rank and node, apart from the history (no step moved).
    const samples = await engine.systemMetrics({ entity: 'local', project: 'dist', runId: view.members[0]!.runId });
    expect(samples.length).toBeGreaterThan(0);
    expect(samples[0]!.label).toMatch(/^rank 0@/);
    expect(samples[0]!.metrics['system/cpu_percent']).toBeTypeOf('number');
    expect(stored.get(0)).toEqual(Array.from({ length: 60 }, (_, i) => i));
  });

  it('rewinds a torchelastic restart that replays steps from its checkpoint: no gap, no duplicate', async () => {
    const group = 'elastic';
    const first = rank(group, 1, 2, { STEPS: '30', STEP_MS: '2', EXIT_CODE: '1' });
    const [, id] = (await first.waitFor(/^ready /)).split(' ');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect((await api.run(`local/dist/${id}`)).state).toBe('failed');

    // Attempt 1 resumes the same run (same id from group and rank) and replays from its step-20 checkpoint.
    const second = rank(group, 1, 2, { STEPS: '20', STEP_MS: '2', START_STEP: '20' }, 1);
    const ready = await second.waitFor(/^ready /);
    expect(ready).toBe(`ready ${id} resumed 30`);
    await second.exited;
    const run = await api.run(`local/dist/${id}`);
    expect(run.state).toBe('finished');
    const rows = await run.history({ keys: ['loss'] });
    expect(rows.map((r) => r['_step'])).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(rows.map((r) => r['loss'])).toEqual(Array.from({ length: 40 }, (_, s) => lossOf(1, s, s < 20 ? 0 : 1)));
    const events = await engine.runEvents({ entity: 'local', project: 'dist', runId: id! });
    expect(events.map((e) => e.detail)).toEqual(
      expect.arrayContaining(['restart attempt 1 started at step 30', 'rewound to step 19: restart attempt 1 replays steps from 20 (was at 29)']),
    );
    const http = (await (await fetch(`${coordinator.httpUrl}/api/v1/runs/local/dist/${id}/events`)).json()) as { events: Array<{ detail: string }> };
    expect(http.events.map((e) => e.detail)).toEqual(events.map((e) => e.detail));
    const member = (await api.group(`local/dist/${group}`).members())[0]!;
    expect(member).toMatchObject({ rank: 1, restartAttempt: 1, lastStep: 39, resumed: true });
  });

  it('flags a slowed rank a straggler and raises an alert on its run', async () => {
    const group = 'slow';
    await using checks = groupChecks(engine, { stragglerFraction: 0.7, stragglerSeconds: 1, rateWindowSeconds: 1, stallSeconds: 60 });
    // Rank 2 sleeps 10× longer per step: far below 70% of the median even on a loaded machine.
    const procs = [0, 1, 2, 3].map((r) => rank(group, r, 4, { STEPS: '5000', STEP_MS: r === 2 ? '100' : '10' }));
    await Promise.all(procs.map((p) => p.waitFor(/^ready /)));
    const slow = await eventually(async () => (await api.group(`local/dist/${group}`).members()).find((m) => m.rank === 2 && m.straggler), 15_000, 'rank 2 flagged');
    const members = await api.group(`local/dist/${group}`).members();
    const fastest = Math.max(...members.map((m) => m.stepRate ?? 0));
    expect(members[2]!.stepRate!).toBeLessThan(0.7 * fastest);
    expect(members.every((m) => m.secondsSinceLastStep !== null && m.secondsSinceLastStep < 5)).toBe(true);
    // One alert per straggling episode: on a loaded machine rank 2 may catch up for a window and be flagged
    // again, so there may be more than one, each the same straggler warning.
    const alerts = await engine.alerts({ entity: 'local', project: 'dist', runId: slow.runId });
    expect(alerts.length).toBeGreaterThanOrEqual(1);
    expect(new Set(alerts.map((a) => `${a.title}|${a.level}`))).toEqual(new Set(['Straggler: rank 2 of slow|WARN']));
    const http = (await (await fetch(`${coordinator.httpUrl}/api/v1/runs/local/dist/${slow.runId}/alerts`)).json()) as { alerts: Array<{ title: string }> };
    expect(http.alerts.length).toBeGreaterThanOrEqual(1);
    expect(new Set(http.alerts.map((a) => a.title))).toEqual(new Set(['Straggler: rank 2 of slow']));
    for (const p of procs) p.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await checks.close();
  });

  it('flags a group stalled when its ranks stop stepping but keep heartbeating', async () => {
    const group = 'hung';
    await using checks = groupChecks(engine, { stallSeconds: 1.5, stragglerSeconds: 60 });
    const procs = [0, 1, 2].map((r) => rank(group, r, 3, { STEPS: '100', STEP_MS: '10', HANG_AFTER: '15' }));
    await Promise.all(procs.map((p) => p.waitFor(/^logged 14$/)));
    const view = await eventually(async () => {
      await engine.expireStaleRuns(5); // heartbeats (every 0.2 s) keep them running
      const g = await api.group(`local/dist/${group}`).info();
      return g.state === 'stalled' ? g : undefined;
    }, 10_000, 'the group to stall');
    expect(view.members.map((m) => m.state)).toEqual(['running', 'running', 'running']);
    expect(view.stalledAt).toBeGreaterThan(0);
    expect(view.members.every((m) => m.secondsSinceLastStep! >= 1.5)).toBe(true);
    const alerts = await engine.alerts({ entity: 'local', project: 'dist', runId: view.primaryRunId! });
    expect(alerts.map((a) => [a.title, a.level])).toEqual([['Stalled: group hung', 'ERROR']]);
    // The HTTP routes behind the Api: the project's groups, and a clear 404 for an unknown one.
    const list = (await (await fetch(`${coordinator.httpUrl}/api/v1/groups/local/dist`)).json()) as { groups: Array<{ group: string; state: string }> };
    expect(list.groups.find((g) => g.group === group)?.state).toBe('stalled');
    const missing = await fetch(`${coordinator.httpUrl}/api/v1/groups/local/dist/nope/history`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'group: no group local/dist/nope' } });
    const bad = await fetch(`${coordinator.httpUrl}/api/v1/groups/local/dist/${group}/history?minStep=x`);
    expect(bad.status).toBe(400);
    for (const p of procs) p.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await checks.close();
  });
});

/** The coordinator's group checks as a housekeeping task, every 100 ms, with test thresholds. */
function groupChecks(engine: Engine, thresholds: GroupCheckOptions): ScheduledTasks {
  const log = pino({ level: 'silent' });
  return startLocalTasks([groupChecksTask({ engine, intervalMs: 100, thresholds, log })], log);
}
