import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { Api, agent, init, sweep } from '@cohort/sdk';
import type { SweepView } from '@cohort/protocol';
import { freePort, requireTorchrun } from './dist-torchrun-harness.js';

const CLI = join(import.meta.dirname, '../../apps/cli/dist/main.js');
const TRAIN = join(import.meta.dirname, 'fixtures/sweep-train.mjs');
const LAUNCHER = join(import.meta.dirname, 'fixtures/sweep-launcher.mjs');
const PY_TRAIN = join(import.meta.dirname, 'fixtures/sweep_train.py');

/**
 * Sweeps end to end (docs/sweeps.md): `cohort sweep create` and `cohort agent`
 * as real processes against a real coordinator, each trial a real training
 * script (or a 2-rank job) logging through the SDK. Agents heartbeat every
 * second, so a dead agent's trial is written off within seconds.
 */
// Each trial is a Node process that starts the SDK: seconds apiece on a loaded machine.
describe('sweeps with real agents', { timeout: 120_000 }, () => {
  let dir: string;
  let coordinator: Coordinator;
  let api: Api;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cohort-sweeps-'));
    coordinator = await startCoordinator({ dataDir: join(dir, 'data'), grpcPort: 0, httpPort: 0 });
    api = new Api({ baseUrl: coordinator.httpUrl });
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await coordinator?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs the CLI; resolves with its exit code and output. */
  const cli = (args: string[], env: Record<string, string> = {}) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: dir,
      env: { ...process.env, COHORT_URL: coordinator.httpUrl, COHORT_DIR: join(dir, 'runs'), COHORT_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) => child.once('close', (code) => resolve({ code, out, err })));
    return { child, done };
  };
  const create = async (name: string, config: string) => {
    await writeFile(join(dir, name), config);
    const { code, out, err } = await cli(['sweep', 'create', name, '--project', 'sw']).done;
    expect(code, err).toBe(0);
    return /^sweep (\S+)$/m.exec(out)![1]!;
  };
  const view = async (path: string) => (await (await fetch(`${coordinator.httpUrl}/api/v1/sweeps/${path}`)).json()) as SweepView;
  const eventually = async <T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const yaml = (values: number[], extra = '') => `method: grid
program: ${TRAIN}
command: ['node', '\${program}', '\${args}']
metric:
  name: loss
  goal: minimize
parameters:
  x:
    values: [${values.join(', ')}]
${extra}`;

  it('refuses a bad config file naming every path and rule', async () => {
    await writeFile(join(dir, 'bad.yaml'), 'method: grdi\nparameters:\n  lr: {min: 1}\n');
    const { code, err } = await cli(['sweep', 'create', 'bad.yaml', '--project', 'sw']).done;
    expect(code).toBe(1);
    expect(err).toContain('method');
    expect(err).toContain('parameters.lr');
    // A sweep without a program is for the SDK's agent(id, fn): `cohort agent` says so and takes no trial.
    const path = await create('fn.yaml', 'method: grid\nparameters:\n  x: {values: [1]}\n');
    const agent = await cli(['agent', path]).done;
    expect(agent.code).toBe(1);
    expect(agent.err).toContain('has no program or command');
    expect((await view(path)).trials).toHaveLength(0);
  });

  it('runs a grid of 4 trials with `cohort agent`: 4 finished trials with their metrics, locked config, the sweep done', async () => {
    const path = await create('grid.yaml', yaml([3, 1, 4, 2]));
    // A run id left in the agent's shell does not merge the trials into one run.
    const { code, out, err } = await cli(['agent', path, '--heartbeat-seconds', '1'], { COHORT_RUN_ID: 'leftover', COHORT_RESUME: 'allow' }).done;
    expect(code, err).toBe(0);
    const v = await view(path);
    expect(v.state).toBe('finished');
    expect(v.trials.map((t) => [t.params['x'], t.state])).toEqual([[3, 'finished'], [1, 'finished'], [4, 'finished'], [2, 'finished']]);
    // The metric is the summary's last loss: x·(1 + 1/6).
    for (const t of v.trials) expect(t.metric).toBeCloseTo(Number(t.params['x']) * (7 / 6), 6);
    const best = v.trials.find((t) => t.params['x'] === 1)!;
    expect(v.bestRunId).toBe(best.runId);
    // Each trial's run: the sweep's id and page, its parameter as locked config (the script's update to 999 ignored).
    const [entity, project, id] = path.split('/');
    for (const t of v.trials) expect(out).toContain(`trial ${t.runId} ${id} ${coordinator.httpUrl}/${entity}/${project}/sweeps/${id} ${t.params['x']}`);
    const s = await api.sweep(path);
    expect(s.runs.map((r) => r.config['x'])).toEqual([3, 1, 4, 2]);
    expect(s.runs.every((r) => r.sweepId === id && r.state === 'finished')).toBe(true);
    expect(s.bestRun()?.id).toBe(best.runId);
  });

  it('gives two agents at once distinct trials', async () => {
    const path = await create('two.yaml', yaml([1, 2, 3, 4]));
    const agents = [cli(['agent', path, '--heartbeat-seconds', '1']), cli(['agent', path, '--heartbeat-seconds', '1'])];
    for (const a of agents) expect((await a.done).code).toBe(0);
    const v = await view(path);
    expect(v.trials).toHaveLength(4);
    expect(v.trials.map((t) => t.params['x']).sort()).toEqual([1, 2, 3, 4]);
    expect(v.trials.every((t) => t.state === 'finished')).toBe(true);
    expect(new Set(v.trials.map((t) => t.runId)).size).toBe(4);
  });

  it('counts the trial of a killed agent as crashed, and another agent finishes the sweep', async () => {
    const pids = join(dir, 'pids');
    await rm(pids, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(pids));
    const path = await create('kill.yaml', yaml([1, 2]));
    const first = cli(['agent', path, '--heartbeat-seconds', '1'], { PID_DIR: pids, STEPS: '1000', STEP_MS: '20' });
    const trialId = await eventually('the first trial to start', async () => (await readdir(pids))[0]?.split('.')[0]);
    first.child.kill('SIGKILL');
    // The trial's process group outlives its agent: kill it too, as a lost machine would.
    process.kill(-Number(await readFile(join(pids, `${trialId}.0`), 'utf8')), 'SIGKILL');
    const second = await cli(['agent', path, '--heartbeat-seconds', '1']).done;
    expect(second.code, second.err).toBe(0);
    const v = await view(path);
    expect(v.state).toBe('finished');
    expect(v.trials.map((t) => t.state).sort()).toEqual(['crashed', 'finished']);
  });

  it('stops a bad trial early (hyperband): the trial and its run say stopped by the sweep', async () => {
    const path = await create('hb.yaml', yaml([1, 1.5, 100], 'early_terminate:\n  type: hyperband\n  min_iter: 2\n  eta: 2\n'));
    // Hyperband compares a trial at a band only with trials that reached it: the good ones log 16 values, and the bad
    // one logs slowly enough that heartbeats (every second) see it between bands 2 and 16.
    const { code, err } = await cli(['agent', path, '--heartbeat-seconds', '1', '--grace-seconds', '5'], { GOOD_STEPS: '16', BAD_STEP_MS: '300' }).done;
    expect(code, err).toBe(0);
    const v = await view(path);
    expect(v.trials.map((t) => t.state)).toEqual(['finished', 'finished', 'stopped']);
    const stopped = await api.run(`${path.split('/').slice(0, 2).join('/')}/${v.trials[2]!.runId}`);
    expect(stopped.state).toBe('stopped');
    expect((await stopped.stateHistory()).at(-1)).toMatchObject({ state: 'stopped', detail: expect.stringContaining('stopped by sweep') });
  });

  it('runs a distributed trial: both ranks of a 2-process launcher join the trial, its metric the mean across ranks', async () => {
    const path = await create('dist.yaml', yaml([2]).replace(`'\${program}', '\${args}'`, `'${LAUNCHER}', '\${args}'`).replace('goal: minimize', 'goal: minimize\n  aggregate: mean'));
    const { code, err } = await cli(['agent', path, '--heartbeat-seconds', '1']).done;
    expect(code, err).toBe(0);
    const v = await view(path);
    const [trial] = v.trials;
    // Rank 0 logs 2·7/6, rank 1 that + 10: the mean is + 5.
    expect(trial!.metric).toBeCloseTo(2 * (7 / 6) + 5, 6);
    const [entity, project] = path.split('/') as [string, string];
    const group = await api.group(`${entity}/${project}/${trial!.trialId}`).info();
    expect(group.members.map((m) => m.rank).sort()).toEqual([0, 1]);
    expect(trial!.runId).toBe(group.members.find((m) => m.rank === 0)!.runId);
  });

  it('runs a torchrun trial: `torch.distributed.run --nproc_per_node 2` ranks form the trial\'s group, its metric rank 0\'s', async () => {
    requireTorchrun();
    // --monitor_interval 0.2: torchrun looks at its workers every 5 s by default, so it would sit up to 5 s past their end.
    const torchrun = ['/usr/bin/python3', '-m', 'torch.distributed.run', '-r', '1', '-t', '1', '--monitor_interval', '0.2', '--nproc_per_node', '2', '--master_addr', '127.0.0.1', '--master_port', String(await freePort()), '--no_python', process.execPath];
    const path = await create('torch.yaml', yaml([3]).replace(`command: ['node', '\${program}', '\${args}']`, `command: ${JSON.stringify([...torchrun, '${program}', '${args}'])}`));
    const { code, err } = await cli(['agent', path, '--heartbeat-seconds', '1']).done;
    expect(code, err).toBe(0);
    const [trial] = (await view(path)).trials;
    expect(trial).toMatchObject({ state: 'finished' });
    expect(trial!.metric).toBeCloseTo(3 * (7 / 6), 6);
    const [entity, project] = path.split('/') as [string, string];
    const group = await api.group(`${entity}/${project}/${trial!.trialId}`).info();
    expect(group.members.map((m) => m.rank).sort()).toEqual([0, 1]);
    expect(trial!.runId).toBe(group.members.find((m) => m.rank === 0)!.runId);
  });

  it('runs a Python trial (the cohort client): its parameter locked in run.config, run.sweep_id and get_sweep_url()', async () => {
    const path = await create('py.yaml', yaml([2]).replace(`command: ['node', '\${program}', '\${args}']`, `command: ['/usr/bin/python3', '${PY_TRAIN}']`));
    const { code, out, err } = await cli(['agent', path, '--heartbeat-seconds', '1'], { PYTHONPATH: join(import.meta.dirname, '../../clients/python') }).done;
    expect(code, err).toBe(0);
    const [trial] = (await view(path)).trials;
    expect(trial).toMatchObject({ state: 'finished', metric: 3 + 1 / 3 - 1 });
    const [entity, project, id] = path.split('/');
    expect(out).toContain(`trial ${trial!.runId} ${id} ${coordinator.httpUrl}/${entity}/${project}/sweeps/${id} 2`);
  });

  it('runs trials in-process with the SDK: sweep() and agent(id, fn, { count })', async () => {
    const settings = { silent: true, flushIntervalMs: 10, systemMetricsSeconds: 0 };
    const id = await sweep({ method: 'grid', metric: { name: 'loss', goal: 'maximize' }, parameters: { x: { values: [1, 2, 3] } } }, { project: 'sw', url: coordinator.httpUrl });
    const seen: unknown[] = [];
    const ran = await agent(
      id,
      async ({ params }) => {
        const run = await init({ dir: join(dir, 'runs'), settings });
        seen.push([params['x'], run.config.get('x'), run.sweepId, run.group]);
        run.log({ loss: Number(params['x']) });
      },
      { count: 2, project: 'sw', url: coordinator.httpUrl },
    );
    expect(ran).toBe(2);
    expect(seen).toEqual([
      [1, 1, id, `${id}-1`],
      [2, 2, id, `${id}-2`],
    ]);
    const v = await view(`local/sw/${id}`);
    expect(v.trials.map((t) => [t.state, t.metric])).toEqual([['finished', 1], ['finished', 2]]);
    expect(v.state).toBe('running');
  });
});
