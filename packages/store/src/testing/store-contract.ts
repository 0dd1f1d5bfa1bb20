import { describe, expect, it } from 'vitest';
import type { Store } from '../store.js';
import { newRun } from './new-run.js';

/** A store opened fresh for one test, closed (and its database dropped) when disposed. */
export type OpenStore = () => Promise<{ store: Store } & AsyncDisposable>;

const range = (from: number, to: number): Float64Array => Float64Array.from({ length: to - from }, (_, i) => from + i);

/**
 * The behaviour every {@link Store} promises, written once and run against
 * each engine (store-contract.test.ts): what a caller sees through the
 * interface. What only one engine has (SQLite's WAL file, Postgres's pool,
 * schemas, advisory locks and chunk compaction) is tested beside that engine.
 *
 * @example
 * for (const [name, open] of EACH_STORE) describeStoreContract(name, open);
 */
export function describeStoreContract(name: string, open: OpenStore): void {
  describe(`Store contract over ${name}`, () => {
    it('refuses a second run with the same key', async () => {
      await using s = await open();
      await s.store.createRun(newRun('a'));
      await expect(s.store.createRun(newRun('a'))).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    });

    it('commits a batch only when the version is the expected one', async () => {
      await using s = await open();
      const store = s.store;
      const run = await store.createRun(newRun('a'));
      const write = { appliedSeq: 1, run: { lastStep: 2 }, numeric: [{ key: 'x', steps: range(0, 3), values: range(10, 13) }] };
      expect(await store.commitBatch(run.pk, 0, write)).toBe(true);
      expect(await store.commitBatch(run.pk, 0, write)).toBe(false);
      const cols = await store.readHistory(run.pk);
      expect(Array.from(cols.numeric[0]!.values)).toEqual([10, 11, 12]);
      expect(await store.getRunByPk(run.pk)).toMatchObject({ appliedSeq: 1, lastStep: 2, version: 1 });
    });

    it("keeps the applied seq of each shared-mode writer apart from the run's", async () => {
      await using s = await open();
      const store = s.store;
      const run = await store.createRun(newRun('a'));
      expect(await store.commitBatch(run.pk, 0, { appliedSeq: 3, writer: 'rank-1' })).toBe(true);
      expect(await store.commitBatch(run.pk, 1, { appliedSeq: 2, writer: 'rank-2' })).toBe(true);
      expect(await store.commitBatch(run.pk, 2, { appliedSeq: 5, writer: 'rank-1' })).toBe(true);
      expect([
        await store.writerAppliedSeq(run.pk, 'rank-1'),
        await store.writerAppliedSeq(run.pk, 'rank-2'),
        await store.writerAppliedSeq(run.pk, 'x'),
      ]).toEqual([5, 2, 0]);
      expect(
        await store.writerAppliedSeqs([
          { pk: run.pk, writer: 'rank-2' },
          { pk: run.pk, writer: '' },
          { pk: run.pk + 1000, writer: 'rank-1' },
        ]),
      ).toEqual([2, 0, 0]);
      expect(await store.getRunByPk(run.pk)).toMatchObject({ appliedSeq: 0, version: 3 });
    });

    it('rolls back the whole batch when a write fails, key dictionary included', async () => {
      await using s = await open();
      const store = s.store;
      const run = await store.createRun(newRun('a'));
      await store.commitBatch(run.pk, 0, { appliedSeq: 1, numeric: [{ key: 'x', steps: range(0, 3), values: range(0, 3) }] });
      const bad = {
        appliedSeq: 2,
        numeric: [
          { key: 'new', steps: range(3, 5), values: range(3, 5) },
          { key: 'x', steps: range(1, 2), values: range(1, 2) },
        ],
      };
      await expect(store.commitBatch(run.pk, 1, bad)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
      await expect(store.commitBatch(run.pk, 1, { appliedSeq: 2, numeric: [{ key: 'y', steps: range(3, 5), values: range(3, 4) }] })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      expect((await store.getRunByPk(run.pk))?.appliedSeq).toBe(1);
      expect(await store.listHistoryKeys(run.pk)).toEqual(['x']);
      expect(await store.commitBatch(run.pk, 1, { appliedSeq: 2, numeric: [{ key: 'y', steps: range(3, 4), values: range(3, 4) }] })).toBe(true);
      expect(await store.listHistoryKeys(run.pk)).toEqual(['x', 'y']);
    });

    it('reads back many small writes and a big one, and refuses a step that does not increase', async () => {
      await using s = await open();
      const store = s.store;
      const run = await store.createRun(newRun('a'));
      let seq = 0;
      for (let st = 0; st < 3000; st += 10) {
        await store.commitBatch(run.pk, seq, { appliedSeq: ++seq, numeric: [{ key: 'x', steps: range(st, st + 10), values: range(st, st + 10) }] });
      }
      await store.compactHistory();
      await store.commitBatch(run.pk, seq, { appliedSeq: ++seq, numeric: [{ key: 'x', steps: range(3000, 20_000), values: range(3000, 20_000) }] });
      const cols = await store.readHistory(run.pk, { minStep: 1500, maxStep: 15_000 });
      expect(Array.from(cols.numeric[0]!.steps)).toEqual(Array.from(range(1500, 15_001)));
      expect(Array.from(cols.numeric[0]!.values)).toEqual(Array.from(range(1500, 15_001)));
      expect((await store.readHistory(run.pk)).numeric[0]!.steps.length).toBe(20_000);
      // No `_timestamp` key: no rows.
      expect(Array.from(await store.readRowSteps(run.pk))).toEqual([]);
      await expect(
        store.commitBatch(run.pk, seq, { appliedSeq: seq + 1, numeric: [{ key: 'x', steps: range(19_999, 20_001), values: range(0, 2) }] }),
      ).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringContaining('gets step 19999 but already holds step 19999') });
    });

    it('keeps sparse steps, NaN and infinities, and odd key names exactly', async () => {
      await using s = await open();
      const store = s.store;
      const run = await store.createRun(newRun('a'));
      const steps = Float64Array.from([0, 3, 7, 1_000_000_000_000]);
      const values = Float64Array.from([Number.NaN, Number.POSITIVE_INFINITY, -0, 1e-308]);
      const odd = 'a"b\\c,{d} é/🙂';
      expect(await store.commitBatch(run.pk, 0, { appliedSeq: 1, numeric: [{ key: odd, steps, values }] })).toBe(true);
      const cols = await store.readHistory(run.pk, { keys: [odd, 'missing'] });
      expect(cols.numeric[0]!.key).toBe(odd);
      expect(Array.from(cols.numeric[0]!.steps)).toEqual(Array.from(steps));
      expect(Object.is(cols.numeric[0]!.values[2], -0)).toBe(true);
      expect(Array.from(cols.numeric[0]!.values)).toEqual(Array.from(values));
    });

    it('keeps the last JSON cell of a step and key, and no key for an empty series', async () => {
      await using s = await open();
      const store = s.store;
      const run = await store.createRun(newRun('a'));
      await store.commitBatch(run.pk, 0, {
        appliedSeq: 1,
        json: [
          { key: 's', steps: [1, 2], values: ['"inserted"', '"b"'] },
          { key: 's', steps: [1], values: ['"logged"'] },
          { key: 'empty', steps: [], values: [] },
        ],
      });
      expect((await store.readHistory(run.pk)).json).toEqual([{ key: 's', steps: [1, 2], values: ['"logged"', '"b"'] }]);
      expect((await store.readHistory(run.pk, { minStep: 2 })).json).toEqual([{ key: 's', steps: [2], values: ['"b"'] }]);
      expect(await store.listHistoryKeys(run.pk)).toEqual(['s']);
    });

    it('pages through row steps with a limit', async () => {
      await using s = await open();
      const store = s.store;
      const run = await store.createRun(newRun('a'));
      let seq = 0;
      // Many chunks (each batch beyond the merge threshold stands alone).
      for (let st = 0; st < 40_000; st += 2000) {
        await store.commitBatch(run.pk, seq, { appliedSeq: ++seq, numeric: [{ key: '_timestamp', steps: range(st, st + 2000), values: range(st, st + 2000) }] });
      }
      expect(Array.from(await store.readRowSteps(run.pk, { minStep: 4990, limit: 5 }))).toEqual([4990, 4991, 4992, 4993, 4994]);
      expect((await store.readRowSteps(run.pk, { minStep: 100, limit: 39_000 })).length).toBe(39_000);
      expect((await store.readRowSteps(run.pk, { minStep: 100, maxStep: 35_000, limit: 100_000 })).length).toBe(34_901);
      expect((await store.readRowSteps(run.pk, { limit: 0 })).length).toBe(0);
      expect((await store.readRowSteps(run.pk)).length).toBe(40_000);
    });

    it('rewinds history, trimming the chunk that spans the step', async () => {
      await using s = await open();
      const store = s.store;
      const run = await store.createRun(newRun('a'));
      await store.commitBatch(run.pk, 0, {
        appliedSeq: 1,
        numeric: [{ key: '_timestamp', steps: range(0, 10_000), values: range(0, 10_000) }],
        json: [{ key: 's', steps: [5, 5000, 9000], values: ['"a"', '"b"', '"c"'] }],
      });
      expect(await store.rewindRun(run.pk, 0, 5000, { lastStep: 5000 })).toBe(false);
      await store.commitBatch(run.pk, 1, { appliedSeq: 2, numeric: [{ key: 'late', steps: range(10_000, 10_010), values: range(0, 10) }] });
      expect(await store.rewindRun(run.pk, 2, 5000, { lastStep: 5000 }, { state: 'running', at: 9, detail: 'rewound' })).toBe(true);
      expect(await store.getRunByPk(run.pk)).toMatchObject({ lastStep: 5000, version: 3 });
      expect(await store.listHistoryKeys(run.pk)).toEqual(['_timestamp', 's']);
      expect(Array.from(await store.readRowSteps(run.pk, { minStep: 4998 }))).toEqual([4998, 4999, 5000]);
      expect(Array.from((await store.readHistory(run.pk, { minStep: 4999 })).numeric[0]!.values)).toEqual([4999, 5000]);
      expect((await store.readHistory(run.pk, { keys: ['s'] })).json[0]!.values).toEqual(['"a"', '"b"']);
      expect((await store.listRunEvents(run.pk)).map((e) => e.detail)).toEqual(['rewound']);
      // History continues after the rewind point.
      expect(await store.commitBatch(run.pk, 3, { appliedSeq: 3, numeric: [{ key: '_timestamp', steps: range(5001, 5003), values: range(0, 2) }] })).toBe(true);
      expect((await store.readRowSteps(run.pk)).length).toBe(5003);
      // A key logged anew after the rewind gets a fresh id, not one of the removed key.
      expect(await store.commitBatch(run.pk, 4, { appliedSeq: 4, numeric: [{ key: 'again', steps: range(5003, 5004), values: range(0, 1) }] })).toBe(true);
      expect(await store.listHistoryKeys(run.pk)).toEqual(['_timestamp', 's', 'again']);
    });

    it('rewinds inside a batch (rewindAfter) before writing its cells', async () => {
      await using s = await open();
      const store = s.store;
      const run = await store.createRun(newRun('a'));
      await store.commitBatch(run.pk, 0, { appliedSeq: 1, numeric: [{ key: 'x', steps: range(0, 100), values: range(0, 100) }] });
      expect(
        await store.commitBatch(run.pk, 1, { appliedSeq: 2, rewindAfter: 49, numeric: [{ key: 'x', steps: range(50, 60), values: range(500, 510) }] }),
      ).toBe(true);
      const x = (await store.readHistory(run.pk)).numeric[0]!;
      expect(x.steps.length).toBe(60);
      expect(Array.from(x.values.subarray(48, 52))).toEqual([48, 49, 500, 501]);
    });

    it('forks history up to a step into a new run', async () => {
      await using s = await open();
      const store = s.store;
      const src = await store.createRun(newRun('a'));
      await store.commitBatch(src.pk, 0, {
        appliedSeq: 1,
        numeric: [{ key: '_timestamp', steps: range(0, 10_000), values: range(0, 10_000) }],
        json: [{ key: 's', steps: [5, 9000], values: ['"a"', '"c"'] }],
      });
      await store.commitBatch(src.pk, 1, { appliedSeq: 2, numeric: [{ key: 'late', steps: range(10_000, 10_010), values: range(0, 10) }] });
      const fork = await store.forkRun(src.pk, 6000, newRun('b'), { state: 'running', at: 3, detail: 'forked' });
      expect(await store.listHistoryKeys(fork.pk)).toEqual(['_timestamp', 's']);
      expect((await store.readRowSteps(fork.pk)).length).toBe(6001);
      expect(Array.from((await store.readHistory(fork.pk, { minStep: 5999 })).numeric[0]!.values)).toEqual([5999, 6000]);
      expect((await store.readHistory(fork.pk, { keys: ['s'] })).json[0]!.steps).toEqual([5]);
      expect((await store.readRowSteps(src.pk)).length).toBe(10_000);
      expect((await store.listRunEvents(fork.pk)).map((e) => [e.runPk, e.detail])).toEqual([[fork.pk, 'forked']]);
      // The fork writes on: its own keys, after the copied steps.
      expect(await store.commitBatch(fork.pk, 0, { appliedSeq: 1, numeric: [{ key: '_timestamp', steps: range(6001, 6003), values: range(0, 2) }, { key: 'new', steps: range(6001, 6002), values: range(0, 1) }] })).toBe(true);
      expect(await store.listHistoryKeys(fork.pk)).toEqual(['_timestamp', 's', 'new']);
      expect(await store.listHistoryKeys(src.pk)).toEqual(['_timestamp', 's', 'late']);
      await expect(store.forkRun(src.pk, 1, newRun('b'))).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    });

    it('lists projects and runs with filters, and stale runs', async () => {
      await using s = await open();
      const store = s.store;
      await store.createRun(newRun('a', { group: 'g', heartbeatAt: 5 }));
      await store.createRun(newRun('b', { state: 'finished' }));
      await store.createRun(newRun('c', { project: 'q' }));
      await store.createRun(newRun('d', { project: 'Z', entity: 'e' }));
      // Bytewise order ('Z' before 'p'), whatever the database's locale.
      expect((await store.listProjects()).map((p) => [p.project, p.runCount])).toEqual([
        ['Z', 1],
        ['p', 2],
        ['q', 1],
      ]);
      expect((await store.listProjects('e')).every((p) => typeof p.updatedAt === 'number')).toBe(true);
      expect(await store.listProjects('nobody')).toEqual([]);
      expect(await store.countRuns('e', 'p', 10)).toBe(2);
      expect(await store.countRuns('e', 'p', 1)).toBe(1);
      expect((await store.listRuns('e', 'p')).map((r) => r.runId)).toEqual(['b', 'a']);
      expect((await store.listRuns('e', 'p', { states: ['running'] })).map((r) => r.runId)).toEqual(['a']);
      expect(await store.listRuns('e', 'p', { states: [] })).toEqual([]);
      expect((await store.listRuns('e', 'p', { group: 'g' })).map((r) => r.runId)).toEqual(['a']);
      expect((await store.listRuns('e', 'p', { name: 'b', jobType: '' })).map((r) => r.runId)).toEqual(['b']);
      expect((await store.listStaleRuns(['running'], 3)).map((r) => r.runId)).toEqual(['c', 'd']);
      expect(await store.listStaleRuns([], 3)).toEqual([]);
      const found = await store.findRuns([
        { entity: 'e', project: 'q', runId: 'c' },
        { entity: 'e', project: 'p', runId: 'nope' },
        { entity: 'e', project: 'p', runId: 'a' },
      ]);
      expect(found.map((r) => r?.runId)).toEqual(['c', undefined, 'a']);
    });

    it('updates runs under the version guard, with heartbeats and events', async () => {
      await using s = await open();
      const store = s.store;
      const run = await store.createRun(newRun('a'), { state: 'running', at: 1, detail: 'created' });
      expect(await store.updateRun(run.pk, { notes: 'n', tags: ['t'], resumed: true }, { expectedVersion: 1 })).toBe(false);
      expect(await store.updateRun(run.pk, { notes: 'n', tags: ['t'], resumed: true }, { expectedVersion: 0, event: { state: 'running', at: 2, detail: 'resumed' } })).toBe(true);
      expect(await store.updateRun(run.pk, { exitCode: 0 })).toBe(true);
      expect(await store.updateRun(run.pk + 1000, { exitCode: 0 })).toBe(false);
      expect(await store.heartbeat(run.pk, 50, 7)).toBe(true);
      expect(await store.heartbeat(run.pk, 60)).toBe(true);
      expect(await store.heartbeat(run.pk + 1000, 60)).toBe(false);
      expect(await store.getRunByPk(run.pk)).toMatchObject({ notes: 'n', tags: ['t'], resumed: true, exitCode: 0, version: 2, heartbeatAt: 60, runtime: 7 });
      expect(await store.findRun({ entity: 'e', project: 'p', runId: 'a' })).toMatchObject({ pk: run.pk, version: 2 });
      expect((await store.listRunEvents(run.pk)).map((e) => e.detail)).toEqual(['created', 'resumed']);
    });

    it('stores alerts and finds the last unsuppressed one in a run or its group', async () => {
      await using s = await open();
      const store = s.store;
      const a = await store.createRun(newRun('a', { group: 'g' }));
      const b = await store.createRun(newRun('b', { group: 'g' }));
      const alert = { title: 't', text: 'x', level: 'WARN', waitDurationMs: 1000, suppressed: false };
      await store.commitBatch(a.pk, 0, { appliedSeq: 1, alerts: [{ ...alert, timestamp: 10 }, { ...alert, timestamp: 20, suppressed: true }] });
      await store.commitBatch(b.pk, 0, { appliedSeq: 1, alerts: [{ ...alert, timestamp: 15 }] });
      expect(await store.lastAlert({ runPk: a.pk }, 't')).toMatchObject({ runPk: a.pk, timestamp: 10, suppressed: false });
      expect(await store.lastAlert({ runPk: a.pk, group: { entity: 'e', project: 'p', group: 'g' } }, 't')).toMatchObject({ runPk: b.pk, timestamp: 15 });
      expect(await store.lastAlert({ runPk: a.pk }, 'other')).toBeUndefined();
      expect((await store.listAlerts(a.pk)).map((x) => [x.timestamp, x.suppressed, x.waitDurationMs])).toEqual([
        [10, false, 1000],
        [20, true, 1000],
      ]);
    });

    it('keeps groups: the registry, aggregates across ranks (rebuilt after a rewind), progress and system samples', async () => {
      await using s = await open();
      const store = s.store;
      const G = { entity: 'e', project: 'p', group: 'g' };
      expect(await store.announceGroup(G, { worldSize: 2, primaryRank: null }, 10)).toMatchObject({ ...G, worldSize: 2, primaryRank: 0, stalledAt: null });
      expect(await store.announceGroup(G, { worldSize: 1, primaryRank: 1 }, 11)).toMatchObject({ worldSize: 2, primaryRank: 1 });
      const r0 = await store.createRun(newRun('r0', { group: 'g', rank: 0 }));
      const r1 = await store.createRun(newRun('r1', { group: 'g', rank: 1 }));
      const loss = (from: number, values: number[]) => [{ key: 'loss', steps: range(from, from + values.length), values: Float64Array.from(values) }];
      expect(await store.commitBatch(r0.pk, 0, { appliedSeq: 1, numeric: loss(0, [1, 2, 3, 4]), aggregates: { group: G }, progress: { lastStep: 3, lastStepAt: 20, samples: [20, 3] } })).toBe(true);
      expect(
        await store.commitBatch(r1.pk, 0, {
          appliedSeq: 1,
          numeric: loss(0, [3, 4, Number.NaN, 6]),
          aggregates: { group: G },
          system: [{ at: 21, label: 'rank 1@n', metrics: { 'system/cpu_percent': 12.5 } }],
        }),
      ).toBe(true);
      const cells = async (q = {}) => (await store.readGroupAggregates(G, { keys: ['loss'], ...q })).map((c) => [c.step, c.count, c.sum, c.min, c.max]);
      // A NaN is not aggregated: step 2 counts one rank.
      expect(await cells()).toEqual([
        [0, 2, 4, 1, 3],
        [1, 2, 6, 2, 4],
        [2, 1, 3, 3, 3],
        [3, 2, 10, 4, 6],
      ]);
      expect(await cells({ minStep: 1, maxStep: 2 })).toEqual([
        [1, 2, 6, 2, 4],
        [2, 1, 3, 3, 3],
      ]);
      // Rank 1 replays from step 2: the group's cells above step 1 are rebuilt from the members.
      expect(await store.commitBatch(r1.pk, 1, { appliedSeq: 2, rewindAfter: 1, numeric: loss(2, [50]), aggregates: { group: G } })).toBe(true);
      expect(await cells({ minStep: 2 })).toEqual([
        [2, 2, 53, 3, 50],
        [3, 1, 4, 4, 4],
      ]);
      expect(await store.getRankProgress(r0.pk)).toMatchObject({ lastStep: 3, lastStepAt: 20, samples: [20, 3], straggler: false, restartAttempt: 0 });
      await store.patchRankProgress(r1.pk, { restartAttempt: 1, replayArmed: true, straggler: true });
      expect((await store.listRankProgress([r0.pk, r1.pk])).map((p) => [p.runPk, p.restartAttempt, p.replayArmed, p.straggler]).sort()).toEqual([
        [r0.pk, 0, false, false],
        [r1.pk, 1, true, true],
      ]);
      expect(await store.readSystemMetrics(r1.pk)).toEqual([{ at: 21, label: 'rank 1@n', metrics: { 'system/cpu_percent': 12.5 } }]);
      expect(await store.readSystemMetrics(r1.pk, { since: 22 })).toEqual([]);
      expect((await store.listGroups({ active: true })).map((g) => g.group)).toEqual(['g']);
      expect(await store.updateGroup(G, { stalledAt: 30 }, 30)).toBe(true);
      expect(await store.findGroup(G)).toMatchObject({ stalledAt: 30 });
      expect(await store.updateGroup({ ...G, group: 'nope' }, { stalledAt: 30 }, 30)).toBe(false);
      await store.updateRun(r0.pk, { state: 'finished' });
      await store.updateRun(r1.pk, { state: 'crashed' });
      expect(await store.listGroups({ active: true })).toEqual([]);
    });

    it('claims group instances by the rules of group-claims.ts', async () => {
      await using s = await open();
      const store = s.store;
      const claim = (token: string, slot: string, key = 'torchelastic:none@h/127.0.0.1:29500') => ({ entity: 'e', project: 'p', base: 'torchrun', key, token, slot });
      const now = 1_700_000_000;
      // Job 1 (agent A), its 4 local ranks at once: one instance.
      const job1 = await Promise.all([0, 1, 2, 3].map(() => store.claimGroup(claim('A', '0'), now)));
      // Names hashed from the key and the instance's number: the same claims name the same groups in every store.
      expect(job1).toEqual(['torchrun-a31oej', 'torchrun-a31oej', 'torchrun-a31oej', 'torchrun-a31oej']);
      // Job 2 reuses the key (one master port, run id "none"): its agent B finds slot 0 held by A, so a new instance;
      // its second node's agent B2 joins it, so job 2's instance (the latest) holds both of its nodes' slots.
      const job2 = await store.claimGroup(claim('B', '0'), now + 1);
      expect(job2).toBe('torchrun-hy6ukm');
      expect(await store.claimGroup(claim('B2', '1'), now + 1)).toBe(job2);
      // A restart of agent A rejoins its own instance, even after job 2 started.
      expect(await store.claimGroup(claim('A', '0'), now + 2)).toBe(job1[0]);
      // Job 3 on two nodes: agents C (slot 0) and D (slot 1), all ranks at once in any order, land in one new instance.
      const job3 = await Promise.all(['C', 'D', 'C', 'D', 'C', 'D'].map((t) => store.claimGroup(claim(t, t === 'C' ? '0' : '1'), now + 3)));
      expect(new Set(job3).size).toBe(1);
      expect(new Set([job1[0], job2, job3[0]]).size).toBe(3);
      // Another key never shares an instance.
      expect(await store.claimGroup(claim('C', '0', 'torchelastic:exp'), now)).not.toBe(job3[0]);
    });

    it('lists runs a page at a time, newest first, with tags and config or summary leaves filtered in SQL', async () => {
      await using s = await open();
      const store = s.store;
      const runs = [
        newRun('a', { tags: ['x', 'y'], configJson: '{"opt":{"lr":0.1},"bs":8,"name":"res","flag":true}', summaryJson: '{"acc":0.5}', summaryStateJson: '{"big":1}' }),
        newRun('b', { tags: ['x'], configJson: '{"opt":{"lr":0.2},"bs":8,"flag":false,"opt.lr":3}', summaryJson: '{"acc":0.9}' }),
        newRun('c', { configJson: '{"opt":{"lr":0.2},"bs":"8","nothing":null}', summaryJson: '{"acc":{"best":1}}' }),
        newRun('d', { entity: 'other' }),
      ];
      for (const r of runs) await store.createRun(r);
      const ids = async (filter: Parameters<Store['listRuns']>[2]) => (await store.listRuns('e', 'p', filter)).map((r) => r.runId);
      // Newest first, a page at a time after the previous page's last run.
      expect(await ids({})).toEqual(['c', 'b', 'a']);
      const [first] = await store.listRuns('e', 'p', { limit: 1 });
      expect(first!.runId).toBe('c');
      expect(await ids({ limit: 1, after: { createdAt: first!.createdAt, pk: first!.pk } })).toEqual(['b']);
      // A listing never reads the summary state; brief leaves out config and summary.
      expect((await store.listRuns('e', 'p', {})).map((r) => [r.runId, r.summaryStateJson, r.summaryJson !== ''])).toEqual([['c', '', true], ['b', '', true], ['a', '', true]]);
      expect((await store.listRuns('e', 'p', { brief: true })).map((r) => r.configJson + r.summaryJson)).toEqual(['', '', '']);
      // Filters in SQL: tags, and scalar leaf equality (a key as one name or split at its dots), types kept apart.
      expect(await ids({ tags: ['x'] })).toEqual(['b', 'a']);
      expect(await ids({ tags: ['x', 'y'] })).toEqual(['a']);
      expect(await ids({ config: { 'opt.lr': 0.2 } })).toEqual(['c', 'b']);
      expect(await ids({ config: { 'opt.lr': 3 } })).toEqual(['b']);
      expect(await ids({ config: { bs: 8 } })).toEqual(['b', 'a']);
      expect(await ids({ config: { bs: '8' } })).toEqual(['c']);
      expect(await ids({ config: { flag: true } })).toEqual(['a']);
      expect(await ids({ config: { flag: false, bs: 8 } })).toEqual(['b']);
      expect(await ids({ config: { nothing: null } })).toEqual(['c']);
      expect(await ids({ config: { name: 'res' }, summary: { acc: 0.5 } })).toEqual(['a']);
      expect(await ids({ summary: { 'acc.best': 1 } })).toEqual(['c']);
      // An object value may be left to the caller's exact check; the store keeps every run that could match.
      expect(await ids({ config: { opt: { lr: 0.1 } } })).toContain('a');
    });

    it('answers history key queries (match, visible only, limit) and run heads, reading only what they ask for', async () => {
      await using s = await open();
      const store = s.store;
      const one = (n: number) => Float64Array.from([n]);

      /** Keys logged in this order; `a.b` sorts between `a` and `ab` bytewise, and `a-x` before `a.`. */
      const KEYS = ['_timestamp', 'ab', 'a.b', 'a', 'a-x', 'a.c.d', 'zz', 'a/b', '_runtime', 'b'];
      const run = await store.createRun(newRun('r'));
      expect(await store.findRunHead({ entity: 'e', project: 'p', runId: 'r' })).toEqual({ pk: run.pk, version: 0, heartbeatAt: null });
      expect(await store.findRunHead({ entity: 'e', project: 'p', runId: 'nope' })).toBeUndefined();
      expect(await store.commitBatch(run.pk, 0, { appliedSeq: 1, numeric: KEYS.map((key) => ({ key, steps: one(0), values: one(1) })) })).toBe(true);
      await store.heartbeat(run.pk, 5);
      expect(await store.findRunHead({ entity: 'e', project: 'p', runId: 'r' })).toEqual({ pk: run.pk, version: 1, heartbeatAt: 5 });
      expect(await store.listHistoryKeys(run.pk)).toEqual(KEYS);
      expect(await store.listHistoryKeys(run.pk, { visibleOnly: true, limit: 3 })).toEqual(['ab', 'a.b', 'a']);
      // `a` matches itself and the keys under `a.`, not `ab`, `a-x` or `a/b`; first logged first.
      expect(await store.listHistoryKeys(run.pk, { match: ['a', 'zz', 'missing', 'a'] })).toEqual(['a.b', 'a', 'a.c.d', 'zz']);
      expect(await store.listHistoryKeys(run.pk, { match: ['a.c', '_runtime'], visibleOnly: true })).toEqual(['a.c.d']);
      expect(await store.listHistoryKeys(run.pk, { match: ['a'], limit: 2 })).toEqual(['a.b', 'a']);
      const cols = await store.readHistory(run.pk, { keys: ['zz', 'missing', 'a'] });
      expect(cols.numeric.map((c) => c.key)).toEqual(['zz', 'a']);
    });

    it('closes once and refuses calls after', async () => {
      await using s = await open();
      await s.store.close();
      await s.store.close();
      await expect(s.store.listProjects()).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
      await expect(s.store.commitBatch(1, 0, { appliedSeq: 1 })).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    });
  });
}
