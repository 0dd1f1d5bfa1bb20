// npm run bench: the SDK's hot path and end-to-end embedded ingest, each beside
// a raw baseline measured in the same run. Prints Markdown tables.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { init } from '@cohort/sdk';
import { fmt, median, printTable, startServerProcess } from './lib.mjs';
import { benchQuery } from './query.mjs';
import { benchBlobs } from './blobs.mjs';
import { benchBlobsS3 } from './blobs-s3.mjs';
import { benchFanIn } from './fan-in.mjs';
import { benchStageCosts } from './stage-costs.mjs';
import { benchHistoryScale } from './history-scale.mjs';
import { benchBadRecords } from './bad-records.mjs';
import { benchRunList } from './run-list.mjs';
import { benchAbuse } from './abuse.mjs';
import { benchPythonClient } from './python-client.mjs';
import { benchSweeps } from './sweeps.mjs';
import { benchSweepAgents } from './sweep-agents.mjs';
import { benchWorkspace } from './workspace.mjs';
import { benchQueueShards } from './queue-shards.mjs';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const tmp = mkdtempSync(join(tmpdir(), 'cohort-bench-'));

/**
 * Rows shaped like the object literals a training script passes to log()
 * (`{ loss, acc, ... }`). V8 keeps those in fast mode; an object built key by
 * key past ~16 keys is a dictionary-mode object that costs several times more
 * to copy, in Cohort or anywhere else.
 */
function makeRows(keys, count) {
  const literal = new Function('i', `return { ${Array.from({ length: keys }, (_, k) => `metric_${k}: Math.sin(i + ${k}) * 100`).join(', ')} };`);
  return Array.from({ length: count }, (_, i) => literal(i));
}

/** (a) log() on the caller's turn, and amortized cost per point through the WAL (offline mode). */
async function benchLogCost() {
  const KEYS = 10;
  const CALLS = 200_000;
  const BATCH = 1_000;
  const rows = makeRows(KEYS, BATCH);
  const perCall = [];
  const amortized = [];
  for (let r = 0; r < REPEATS; r++) {
    const run = await init({ project: 'bench', mode: 'offline', dir: join(tmp, `log-${r}`), settings: { silent: true } });
    const batchNs = [];
    const t0 = performance.now();
    for (let done = 0; done < CALLS; done += BATCH) {
      const s = performance.now();
      for (let i = 0; i < BATCH; i++) run.log(rows[i]);
      batchNs.push(((performance.now() - s) * 1e6) / BATCH);
      await yieldTurn(); // a training loop yields between steps (data loading, awaits)
    }
    await run.finish();
    const total = performance.now() - t0;
    perCall.push(median(batchNs));
    amortized.push((total * 1e6) / (CALLS * (KEYS + 2)));
  }
  return { perCall: median(perCall), amortized: median(amortized), KEYS };
}

/** (b) points/s from log() to committed in SQLite through a coordinator in its own process. */
async function benchIngest() {
  const KEYS = 20;
  const STEPS = 100_000;
  const POINTS = STEPS * KEYS;
  const rows = makeRows(KEYS, 1_000);
  const rates = [];
  for (let r = 0; r < REPEATS; r++) {
    const server = await startServerProcess(join(tmp, `server-${r}`));
    try {
      process.env.COHORT_URL = server.httpUrl;
      const run = await init({ project: 'bench', mode: 'online', dir: join(tmp, `ingest-${r}`), settings: { silent: true } });
      const t0 = performance.now();
      for (let step = 0; step < STEPS; step++) {
        run.log(rows[step % 1000]);
        if (step % 1000 === 999) await yieldTurn();
      }
      await run.finish();
      rates.push(POINTS / ((performance.now() - t0) / 1000));
    } finally {
      await server.stop();
    }
  }
  return { rate: median(rates), POINTS };
}

/** Raw SQLite: the same points, a prepared insert per point, one transaction. */
function benchRawSqlite(points, keys) {
  const rates = [];
  for (let r = 0; r < REPEATS; r++) {
    const db = new Database(join(tmp, `raw-${r}.db`));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE points (run INTEGER, step INTEGER, key TEXT, value REAL)');
    const insert = db.prepare('INSERT INTO points VALUES (?, ?, ?, ?)');
    const names = Array.from({ length: keys }, (_, k) => `metric_${k}`);
    const steps = points / keys;
    const t0 = performance.now();
    db.transaction(() => {
      for (let s = 0; s < steps; s++) for (let k = 0; k < keys; k++) insert.run(1, s, names[k], Math.sin(s + k) * 100);
    })();
    rates.push(points / ((performance.now() - t0) / 1000));
    db.close();
  }
  return median(rates);
}

try {
  const log = await benchLogCost();
  printTable(`(a) log() cost, ${log.KEYS}-key rows, offline run (median of ${REPEATS})`, ['measure', 'value', 'target'], [
    ['log() on the caller\'s turn, ns per call', fmt(log.perCall), '≤ 1,000'],
    ['amortized incl. serialization + WAL, ns per point', fmt(log.amortized, 1), ''],
  ]);
  const ingest = await benchIngest();
  const raw = benchRawSqlite(ingest.POINTS, 20);
  printTable(`(b) end-to-end embedded ingest, 20 scalar keys per step, ${fmt(ingest.POINTS)} points (median of ${REPEATS})`, ['path', 'points/s', 'vs raw'], [
    ['SDK log() → gRPC → engine → SQLite, committed', fmt(ingest.rate), `${fmt((ingest.rate / raw) * 100)}%`],
    ['raw better-sqlite3, prepared insert per point, one transaction', fmt(raw), '100%'],
    ['target', '≥ 1,000,000', '≥ 50%'],
  ]);
  if (process.env.BENCH_ONLY !== 'ingest') await benchQuery(tmp);
  if (process.env.BENCH_ONLY !== 'ingest') await benchBlobs(tmp);
  if (process.env.BENCH_ONLY !== 'ingest') await benchBlobsS3(tmp);
  if (process.env.BENCH_ONLY !== 'ingest') await benchBadRecords(tmp);
  if (process.env.BENCH_ONLY !== 'ingest') await benchRunList(tmp);
  if (process.env.BENCH_ONLY !== 'ingest') await benchAbuse(tmp);
  if (process.env.BENCH_ONLY !== 'ingest') await benchPythonClient(tmp);
  if (process.env.BENCH_ONLY !== 'ingest') await benchSweeps();
  if (process.env.BENCH_ONLY !== 'ingest') await benchSweepAgents();
  if (process.env.BENCH_ONLY !== 'ingest') await benchWorkspace(tmp);
  // (e) scaled-mode fan-in (needs Redis and PostgreSQL: REDIS_URL / DATABASE_URL, or the binaries); BENCH_FANIN=0 skips it.
  if (process.env.BENCH_ONLY !== 'ingest' && process.env.BENCH_FANIN !== '0') await benchFanIn(tmp);
  // (e2) CPU per point of each scaled stage, the load simulation's input (same services as (e)); BENCH_STAGES=0 skips it.
  if (process.env.BENCH_ONLY !== 'ingest' && process.env.BENCH_STAGES !== '0') await benchStageCosts(tmp);
  // (o) the batch queue in 1 vs 3 shards on a private 3-master Redis Cluster (needs redis-server, redis-cli, PostgreSQL as (e)); BENCH_SHARDS=0 skips it.
  if (process.env.BENCH_ONLY !== 'ingest' && process.env.BENCH_SHARDS !== '0') await benchQueueShards(tmp);
  // (n) stored history vs an empty database (PostgreSQL and Redis as (e)); minutes, so opt-in: BENCH_HISTORY=1 (10M points) or =full (100M).
  if (process.env.BENCH_HISTORY) await benchHistoryScale(tmp, { full: process.env.BENCH_HISTORY === 'full' });
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
