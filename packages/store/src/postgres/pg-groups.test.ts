import { describe, expect, inject, it } from 'vitest';
import { Engine } from '@cohort/engine';
import { RowsBuilder, withOpenRunDefaults, type RecordMessage } from '@cohort/protocol';
import { createTestDatabase } from '../../../../test/harness/postgres-service.js';
import { openSqliteStore } from '../sqlite/sqlite-store.js';
import type { Store } from '../store.js';
import { openPostgresStore } from './postgres-store.js';

const G = { entity: 'e', project: 'p', group: 'g' };

function rows(seq: number, from: number, values: number[]): RecordMessage {
  const b = new RowsBuilder('');
  values.forEach((v, i) => b.add({ step: from + i, timestamp: 1_700_000_000 + from + i, data: { loss: v } }, from + i));
  return { seq, kind: 'rows', rows: b.build() };
}

/** The same scenario over both stores: aggregates, a replay rewind that rebuilds them, progress, system samples. */
async function scenario(store: Store) {
  let t = 1_700_000_000;
  const engine = new Engine(store, { now: () => t, progressSampleSeconds: 0 });
  const open = (rank: number, restartAttempt = 0) =>
    engine.openRun(withOpenRunDefaults({ entity: 'e', project: 'p', runId: `r${rank}`, name: `r${rank}`, group: 'g', rank, worldSize: 2, resume: 'allow', restartAttempt }));
  await open(0);
  await open(1);
  await engine.applyBatch({ entity: 'e', project: 'p', runId: 'r0' }, [rows(1, 0, [1, 2, 3, 4])]);
  t += 1;
  await engine.applyBatch({ entity: 'e', project: 'p', runId: 'r1' }, [
    rows(1, 0, [3, 4, 5, 6]),
    { seq: 2, kind: 'system', system: { timestamp: t, keys: ['system/cpu_percent'], values: [12.5], label: 'rank 1@n' } },
  ]);
  await open(1, 1);
  await engine.applyBatch({ entity: 'e', project: 'p', runId: 'r1' }, [rows(3, 2, [50, 60, 70])]);
  return {
    history: await engine.groupHistory(G, { keys: ['loss'] }),
    group: await engine.group(G),
    system: await engine.systemMetrics({ entity: 'e', project: 'p', runId: 'r1' }),
    active: (await store.listGroups({ active: true })).map((g) => g.group),
  };
}

describe('group tables', () => {
  it('give the same aggregates, rewinds, progress and system samples in Postgres as in SQLite', async () => {
    await using db = await createTestDatabase(inject('databaseUrl'));
    await using pgStore = await openPostgresStore(db.url, { max: 2 });
    await using sqliteStore = openSqliteStore(':memory:');
    const pgResult = await scenario(pgStore);
    const sqliteResult = await scenario(sqliteStore);
    expect(pgResult).toEqual(sqliteResult);
    expect(pgResult.history.map((r) => r['loss'])).toEqual([
      { mean: 2, min: 1, max: 3, count: 2 },
      { mean: 3, min: 2, max: 4, count: 2 },
      { mean: 26.5, min: 3, max: 50, count: 2 },
      { mean: 32, min: 4, max: 60, count: 2 },
      { mean: 70, min: 70, max: 70, count: 1 },
    ]);
    expect(pgResult.group.members.map((m) => [m.runId, m.lastStep, m.restartAttempt])).toEqual([
      ['r0', 3, 0],
      ['r1', 4, 1],
    ]);
    expect(pgResult.system).toEqual([{ at: 1_700_000_001, label: 'rank 1@n', metrics: { 'system/cpu_percent': 12.5 } }]);
    expect(pgResult.active).toEqual(['g']);
  });
});
