import { describe, expect, inject, it } from 'vitest';
import { Engine } from '@cohort/engine';
import { withOpenRunDefaults } from '@cohort/protocol';
import { createTestDatabase } from '../../../test/harness/postgres-service.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';
import { openPostgresStore } from './postgres/postgres-store.js';

const claim = (token: string, slot: string, key = 'torchelastic:none@h/127.0.0.1:29500') => ({ entity: 'e', project: 'p', base: 'torchrun', key, token, slot });

/** The rules of group-claims.ts over each store are testing/store-contract.ts; here what takes two coordinators and the engine. */
describe('group claims', () => {
  it('pick one instance in Postgres, atomically across two coordinators racing', async () => {
    await using db = await createTestDatabase(inject('databaseUrl'));
    await using one = await openPostgresStore(db.url, { max: 4 });
    await using two = await openPostgresStore(db.url, { max: 4 });
    // 8 agents of one 8-node job, 4 ranks each, claiming through two coordinators at once: one instance, each slot held once.
    const racing = await Promise.all(
      Array.from({ length: 32 }, (_, i) => (i % 2 === 0 ? one : two).claimGroup(claim(`agent-${i % 8}`, String(i % 8), 'torchelastic:race'), 1)),
    );
    expect(new Set(racing).size).toBe(1);
    // A second job of the same key: a new instance, whichever coordinator its ranks reach.
    const next = await Promise.all([0, 1, 2, 3].map((i) => (i % 2 === 0 ? one : two).claimGroup(claim('agent-next', '3', 'torchelastic:race'), 2)));
    expect(new Set(next).size).toBe(1);
    expect(next[0]).not.toBe(racing[0]);
  });

  it('make the coordinator derive the run id from the picked group, so a restarted rank resumes its run', async () => {
    await using store = openSqliteStore(':memory:');
    const engine = new Engine(store, { now: () => 1_700_000_000 });
    const open = (rank: number, token: string, restartAttempt = 0) =>
      engine.openRun(withOpenRunDefaults({ entity: 'e', project: 'p', runId: 'ignored', group: 'torchrun', rank, worldSize: 2, restartAttempt, groupKey: 'k', groupToken: token, groupSlot: '0' }));
    const [r0, r1] = await Promise.all([open(0, 'A'), open(1, 'A')]);
    expect(r0.group).toBe(r1.group);
    expect(r0.runId).not.toBe('ignored');
    expect(r0.runId).not.toBe(r1.runId);
    const restarted = await open(1, 'A', 1);
    expect(restarted).toMatchObject({ runId: r1.runId, group: r1.group, resumed: true });
    const other = await open(0, 'B');
    expect(other.group).not.toBe(r0.group);
    expect((await engine.group({ entity: 'e', project: 'p', group: r0.group })).members.map((m) => m.rank)).toEqual([0, 1]);
    // A claim without a rank is refused, naming the field.
    await expect(engine.openRun(withOpenRunDefaults({ project: 'p', group: 'torchrun', groupKey: 'k', groupToken: 'A', rank: -1 }))).rejects.toThrow(/rank: a group claim/);
  });

  it('open the 8 ranks of a 2-node job through two Postgres coordinators at once as one group of 8 runs', async () => {
    await using db = await createTestDatabase(inject('databaseUrl'));
    await using one = await openPostgresStore(db.url, { max: 4 });
    await using two = await openPostgresStore(db.url, { max: 4 });
    const engines = [new Engine(one), new Engine(two)];
    const open = (engine: Engine, rank: number, attempt = 0) =>
      engine.openRun(
        withOpenRunDefaults({ project: 'p', runId: 'x', group: 'torchrun', rank, worldSize: 8, restartAttempt: attempt, groupKey: 'torchelastic:none@m:29500/2', groupToken: `agent-${rank < 4 ? 0 : 1}`, groupSlot: String(rank < 4 ? 0 : 1) }),
      );
    const opened = await Promise.all(Array.from({ length: 8 }, (_, rank) => open(engines[rank % 2]!, rank)));
    expect(new Set(opened.map((o) => o.group)).size).toBe(1);
    expect(new Set(opened.map((o) => o.runId)).size).toBe(8);
    const group = await engines[0]!.group({ entity: opened[0]!.entity, project: 'p', group: opened[0]!.group });
    expect(group.members.map((m) => m.rank)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // Every rank restarted (attempt 1), through the other coordinator: the same runs, resumed.
    const again = await Promise.all(Array.from({ length: 8 }, (_, rank) => open(engines[(rank + 1) % 2]!, rank, 1)));
    expect(again.map((o) => [o.runId, o.resumed])).toEqual(opened.map((o) => [o.runId, true]));
  });
});
