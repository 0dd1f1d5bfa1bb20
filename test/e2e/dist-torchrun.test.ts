import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { Engine } from '@cohort/engine';
import { Api } from '@cohort/sdk';
import { openSqliteStore, type SqliteStore } from '@cohort/store';
import { freePort, readyLines, requireTorchrun, torchrun, type TorchrunOptions } from './dist-torchrun-harness.js';

/**
 * Identity under the real launcher (docs/distributed.md, "Which job a rank
 * belongs to"): PyTorch's own torchrun (Debian's python3-torch 1.13) starts
 * Node workers that use the SDK, against a real coordinator on port 0.
 */
// Each torchrun agent imports torch (seconds on a loaded machine) before its workers start.
describe('ranks started by the real torchrun', { timeout: 120_000 }, () => {
  let dir: string;
  let store: SqliteStore;
  let engine: Engine;
  let coordinator: Coordinator;
  let api: Api;

  beforeAll(async () => {
    requireTorchrun();
    dir = await mkdtemp(join(tmpdir(), 'cohort-torchrun-'));
    store = openSqliteStore(join(dir, 'cohort.db'));
    engine = new Engine(store);
    coordinator = await startCoordinator({ engine, grpcPort: 0, httpPort: 0 });
    api = new Api({ baseUrl: coordinator.httpUrl });
  });
  afterAll(async () => {
    await coordinator?.close();
    await engine?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const agent = (project: string, o: Omit<TorchrunOptions, 'env'>, env: Record<string, string> = {}) =>
    torchrun({ ...o, env: { COHORT_URL: coordinator.httpUrl, COHORT_DIR: join(dir, 'runs'), TEST_PROJECT: project, ...env } });

  /** Each group of the project with its members' ranks. */
  const groupsOf = async (project: string) => {
    const groups = await store.listGroups({ entity: 'local', project });
    return Promise.all(groups.map(async (g) => ({ group: g.group, ranks: (await api.group(`local/${project}/${g.group}`).members()).map((m) => m.rank) })));
  };

  it('keeps two plain `torchrun --nproc_per_node 4` jobs (run id "none", one master port) in two groups of 4', async () => {
    const masterPort = await freePort();
    const jobs = [];
    for (let i = 0; i < 2; i++) {
      const job = agent('plain', { nprocPerNode: 4, masterPort }, { STEPS: '5', STEP_MS: '10' });
      const done = await job.exited;
      expect(done.code, done.output).toBe(0);
      jobs.push(readyLines(job));
    }
    const groups = await groupsOf('plain');
    expect(groups.map((g) => g.ranks)).toEqual([
      [0, 1, 2, 3],
      [0, 1, 2, 3],
    ]);
    // Every rank of each job reported the group it got; the second job's ranks made runs of their own.
    expect(jobs.map((ready) => new Set(ready.map((r) => r.group)).size)).toEqual([1, 1]);
    expect(new Set(jobs.map((ready) => ready[0]!.group))).toEqual(new Set(groups.map((g) => g.group)));
    expect(jobs.flat().every((r) => !r.resumed && /^torchrun-[a-z0-9]{6}$/.test(r.group))).toBe(true);
    expect(new Set(jobs.flat().map((r) => r.runId)).size).toBe(8);
  });

  it('puts the 8 ranks of two agents of one job (--nnodes 2 --node_rank 0|1) in one group', async () => {
    const masterPort = await freePort();
    const nodes = [0, 1].map((rank) => agent('nodes', { nprocPerNode: 4, masterPort, node: { nnodes: 2, rank } }, { STEPS: '5', STEP_MS: '10' }));
    for (const done of await Promise.all(nodes.map((n) => n.exited))) expect(done.code, done.output).toBe(0);
    expect(await groupsOf('nodes')).toEqual([{ group: expect.stringMatching(/^torchrun-/), ranks: [0, 1, 2, 3, 4, 5, 6, 7] }]);
  });

  it('puts the agents of one c10d rendezvous in one group, and a later job with the same --rdzv_id in another', async () => {
    const port = await freePort();
    const c10d = { id: 'exp-7' };
    const first = [0, 1].map((rank) => agent('c10d', { nprocPerNode: 2, masterPort: port, node: { nnodes: 2, rank }, c10d }, { STEPS: '5', STEP_MS: '10' }));
    for (const done of await Promise.all(first.map((n) => n.exited))) expect(done.code, done.output).toBe(0);
    const second = agent('c10d', { nprocPerNode: 2, masterPort: port, c10d }, { STEPS: '5', STEP_MS: '10' });
    const done = await second.exited;
    expect(done.code, done.output).toBe(0);
    const groups = await groupsOf('c10d');
    expect(groups.map((g) => g.ranks).sort((a, b) => b.length - a.length)).toEqual([
      [0, 1, 2, 3],
      [0, 1],
    ]);
    expect(groups.every((g) => /^exp-7-[a-z0-9]{6}$/.test(g.group))).toBe(true);
    expect(new Set(readyLines(second).map((r) => r.group))).toEqual(new Set([groups.find((g) => g.ranks.length === 2)!.group]));
  });

  it('rejoins the group after an elastic restart and rewinds the replayed steps: every step exactly once', async () => {
    const masterPort = await freePort();
    const sync = await mkdtemp(join(dir, 'sync-'));
    const job = agent('elastic', { nprocPerNode: 2, masterPort, maxRestarts: 1 }, { STEPS: '12', STEP_MS: '20', REPLAY_FROM: '4', FAIL_RANK: '1', FAIL_AT: '7', SYNC_DIR: sync });
    const done = await job.exited;
    expect(done.code, done.output).toBe(0);
    const ready = readyLines(job);
    // Attempt 0 and attempt 1 of each local rank: the same run, resumed the second time.
    expect(ready.map((r) => [r.local, r.resumed])).toEqual(expect.arrayContaining([[0, false], [0, true], [1, false], [1, true]]));
    expect(ready).toHaveLength(4);
    for (const local of [0, 1]) expect(new Set(ready.filter((r) => r.local === local).map((r) => r.runId)).size).toBe(1);
    const [group] = await groupsOf('elastic');
    expect(await groupsOf('elastic')).toHaveLength(1);
    expect(group!.ranks).toEqual([0, 1]);
    for (const member of await api.group(`local/elastic/${group!.group}`).members()) {
      expect(member).toMatchObject({ restartAttempt: 1, lastStep: 11, state: 'finished' });
      const rows = await (await api.run(`local/elastic/${member.runId}`)).history({ keys: ['loss'] });
      expect(rows.map((r) => r['_step'])).toEqual(Array.from({ length: 12 }, (_, s) => s));
      expect(rows.map((r) => r['loss'])).toEqual(Array.from({ length: 12 }, (_, s) => 1000 * (s < 4 ? 0 : 1) + 10 * member.rank! + 1 / (s + 1)));
    }
  });
});
