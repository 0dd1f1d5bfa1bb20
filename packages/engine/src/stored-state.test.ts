import { describe, expect, it } from 'vitest';
import { PostgresStore, SqliteStore, type Store } from '@cohort/store';
import { RowsBuilder, withOpenRunDefaults, type RecordMessage } from '@cohort/protocol';
import { EACH_STORE } from '../../../test/harness/stores.js';
import { Engine } from './engine.js';

const key = (runId: string) => ({ entity: 'local', project: 'p', runId });

/** Runs `text` (`?` placeholders) straight on the store's database: a row damaged outside the store. */
async function rawSql(store: Store, text: string, ...params: unknown[]): Promise<void> {
  if (store instanceof SqliteStore) store.database.prepare(text).run(...params);
  else if (store instanceof PostgresStore) {
    let n = 0;
    await store.pool.query(text.replace(/\?/g, () => `$${++n}`), params);
  } else throw new Error('a store of an unknown kind');
}

function rows(seq: number, step: number): RecordMessage {
  const b = new RowsBuilder();
  b.add({ step, timestamp: 1_700_000_000 + step, data: { loss: 1 / (step + 1) } }, step);
  return { seq, kind: 'rows', rows: b.build() };
}

const metric = (seq: number): RecordMessage => ({
  seq,
  kind: 'metric',
  metric: { name: 'loss', stepMetric: '', stepSync: false, hidden: false, summary: 'min', goal: '', overwrite: false },
});

describe.each(EACH_STORE)('stored run state over %s', (_name, open) => {
  it('is checked when read back: a damaged column fails the call naming the run and the column, commits nothing, and other runs go on', async () => {
    await using s = await open();
    const engine = new Engine(s.store);
    for (const id of ['a', 'b']) {
      await engine.openRun(withOpenRunDefaults({ project: 'p', runId: id, rank: -1, localRank: -1 }));
      expect((await engine.applyBatch(key(id), [metric(1), rows(2, 0)])).rejected).toEqual([]);
    }

    // The summary state: a metric's path is not a string.
    await rawSql(s.store, "UPDATE runs SET summary_state = ? WHERE run_id = 'a'", '{"version":1,"definitions":[],"globs":[],"stepMetrics":[],"metrics":[{"path":5,"visible":true,"explicit":false}]}');
    await expect(engine.applyBatch(key('a'), [rows(3, 1)])).rejects.toMatchObject({
      code: 'DATA_LOSS',
      message: expect.stringMatching(/^run local\/p\/a: column summary_state\.metrics\[0\]\.path: /),
    });
    expect(await engine.getRun(key('a'))).toMatchObject({ appliedSeq: 2, lastStep: 0 });

    // The metric definitions: not JSON at all.
    await rawSql(s.store, "UPDATE runs SET metrics = ? WHERE run_id = 'b'", '[{"name":');
    await expect(engine.applyBatch(key('b'), [metric(3)])).rejects.toMatchObject({
      code: 'DATA_LOSS',
      message: expect.stringMatching(/^run local\/p\/b: column metrics: stored text is not JSON/),
    });
    // The run view reads the definitions too: it fails the same way, and the row shows nothing was committed.
    await expect(engine.getRun(key('b'))).rejects.toMatchObject({ code: 'DATA_LOSS', message: expect.stringMatching(/^run local\/p\/b: column metrics: /) });
    expect(await s.store.findRun(key('b'))).toMatchObject({ appliedSeq: 2 });

    // Tags (read by the store for every run read): an object where a list belongs.
    await engine.openRun(withOpenRunDefaults({ project: 'p', runId: 'c', rank: -1, localRank: -1 }));
    await rawSql(s.store, "UPDATE runs SET tags = ? WHERE run_id = 'c'", '{"x":1}');
    await expect(engine.getRun(key('c'))).rejects.toMatchObject({
      code: 'DATA_LOSS',
      message: 'run local/p/c: column tags: expected an array of strings, got `"{\\"x\\":1}"` (string)',
    });

    // The config (a JSON object column): an array where an object belongs, met when the run is read and when a config record applies.
    await rawSql(s.store, "UPDATE runs SET tags = '[]', config = ? WHERE run_id = 'c'", '[1]');
    await expect(engine.getRun(key('c'))).rejects.toMatchObject({ code: 'DATA_LOSS', message: 'run local/p/c: column config: must be a JSON object' });
    await expect(engine.applyBatch(key('c'), [{ seq: 1, kind: 'config', config: { valuesJson: '{"lr":1}', allowValChange: false, removed: [] } }])).rejects.toMatchObject({
      code: 'DATA_LOSS',
    });
    await rawSql(s.store, "UPDATE runs SET config = '{}' WHERE run_id = 'c'");

    // Undamaged runs are served as before; a repaired row reads again.
    await engine.openRun(withOpenRunDefaults({ project: 'p', runId: 'd', rank: -1, localRank: -1 }));
    expect((await engine.applyBatch(key('d'), [rows(1, 0), rows(2, 1)])).appliedSeq).toBe(2);
    await rawSql(s.store, "UPDATE runs SET tags = '[]' WHERE run_id = 'c'");
    expect(await engine.getRun(key('c'))).toMatchObject({ tags: [] });
  });
});
