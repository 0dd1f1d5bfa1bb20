// npm run bench, part (f): one batch of 10,000 records with 0, 1% and 10% bad
// ones (at the end, the worst place for a planner that starts over), applied by
// the engine over SQLite. The all-good batch, measured in the same run, is the
// baseline; the target is every variant within 1.5x of it (docs/SECURITY.md,
// "One caller must not stall the others"). `node bench/bad-records.mjs` runs it alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Engine } from '@cohort/engine';
import { RowsBuilder, withOpenRunDefaults } from '@cohort/protocol';
import { openSqliteStore } from '@cohort/store';
import { fmt, median, printTable } from './lib.mjs';

const RECORDS = 10_000;
const KEYS = 10;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);

function rowsRecord(seq, step, badJson) {
  const b = new RowsBuilder('');
  const data = {};
  for (let k = 0; k < KEYS; k++) data[`metric_${k}`] = Math.sin(step + k);
  data.phase = 'train';
  b.add({ step, timestamp: 1_700_000_000 + step, data }, step);
  const rows = b.build();
  if (badJson) rows.jsonValues[0] = '{not json';
  return { seq, kind: 'rows', rows };
}

/** `RECORDS` records, the last `bad` of them refused for three different reasons. */
function makeBatch(bad) {
  const records = [{ seq: 1, kind: 'config', config: { valuesJson: '{"lr":0.1}', allowValChange: false, removed: [] } }];
  for (let seq = 2; seq <= RECORDS; seq++) {
    const step = seq - 2;
    const i = seq - (RECORDS - bad) - 1;
    if (i < 0) records.push(rowsRecord(seq, step, false));
    else if (i % 3 === 0) records.push(rowsRecord(seq, step, true));
    else if (i % 3 === 1) records.push({ seq, kind: 'config', config: { valuesJson: `{"lr":${seq}}`, allowValChange: false, removed: [] } });
    else records.push({ seq, kind: 'exit', exit: { exitCode: 0.5, updateFinishState: true } });
  }
  return records;
}

export async function benchBadRecords(tmp) {
  const engine = new Engine(openSqliteStore(join(tmp, 'bad-records.db')));
  const variants = [0, RECORDS / 100, RECORDS / 10];
  const batches = variants.map((bad) => makeBatch(bad));
  const times = variants.map(() => []);
  try {
    // Warm-up (JIT, SQLite caches), not timed.
    await engine.openRun(withOpenRunDefaults({ project: 'bench', runId: 'warm-up', rank: -1, localRank: -1 }));
    await engine.applyBatch({ entity: 'local', project: 'bench', runId: 'warm-up' }, batches[0]);
    for (let r = 0; r < REPEATS; r++) {
      for (let v = 0; v < variants.length; v++) {
        const runId = `bad-${variants[v]}-${r}`;
        await engine.openRun(withOpenRunDefaults({ project: 'bench', runId, rank: -1, localRank: -1 }));
        const t0 = performance.now();
        const res = await engine.applyBatch({ entity: 'local', project: 'bench', runId }, batches[v]);
        times[v].push(performance.now() - t0);
        if (res.rejected.length !== variants[v]) throw new Error(`expected ${variants[v]} rejected records, got ${res.rejected.length}`);
      }
    }
  } finally {
    await engine.close();
  }
  const base = median(times[0]);
  printTable(`(f) one batch of ${fmt(RECORDS)} records (${KEYS + 1}-key rows), bad records at the end, engine over SQLite (median of ${REPEATS})`, ['batch', 'ms', 'vs all good', 'target'], variants.map((bad, v) => [
    bad === 0 ? 'all good (baseline)' : `${fmt(bad)} bad (${fmt((bad / RECORDS) * 100)}%)`,
    fmt(median(times[v]), 1),
    `${fmt(median(times[v]) / base, 2)}x`,
    bad === 0 ? '' : '≤ 1.5x',
  ]));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const tmp = mkdtempSync(join(tmpdir(), 'cohort-bench-bad-'));
  try {
    await benchBadRecords(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
