// npm run bench, part (n), opt-in (BENCH_HISTORY=1, or =full): issue 19's
// proof that stored history does not slow Cohort down. The same measures on
// an EMPTY database and on one already holding BENCH_HISTORY_RUNS runs × 20
// keys × 2,500 steps (10 million points; `full` or --full: 2,000 runs, 100
// million), both on one PostgreSQL server, interleaved empty / seeded /
// seeded / empty ... so the drift of a busy machine falls on both alike;
// medians of the repeats:
//   a) the chart query of one key of 1,000,000 steps (written through the
//      store's commitBatch, 1,000 batches of 1,000 steps): the workspace's
//      GET /api/v1/series/... (1,000 buckets) on a scaled coordinator, and
//      the store's readHistory of the key in this process;
//   b) fan-in (bench/fan-in.mjs's deployment and phases): 64 ranks (real SDK
//      clients in child processes), the max phase's points/s committed and
//      the log() → visible latency p50/p99 of a phase paced at
//      BENCH_HISTORY_LOAD (100,000 points/s) for BENCH_FANIN_SECONDS;
//      The max phase is bimodal in both databases (runs land near 0.8M or
//      near 1.3M points/s on a quiet 2-core machine; issue 19), so a median
//      of a few repeats flips with the mode its middle run fell in. A second
//      row gives the mean (each mode weighed by its share) and the share of
//      (empty, seeded) pairs in which the seeded run committed at least as
//      fast: 50% when the two are alike, whatever the modes (Mann–Whitney's
//      U over the pairs). Each repeat's line also gives its batches per
//      worker job and the CPU its rank hosts got: on a shared machine the
//      rate follows the latter (the SDK clients are the phase's largest
//      CPU user), not the former.
//   c) insert and compaction: commitBatch of 20 keys × 50 steps (1,000
//      points) on a new run, 64 of them, and then one compaction pass
//      (store.compactHistory) merging that run's 1,280 small chunks.
// Raw baselines in the same run: node-postgres SELECT of the 1M-step key's
// blobs, a multi-row INSERT of the same 20 blobs into a table without
// indexes, pipelined Redis LPUSH of the fan-in rows.
// The seeded database (bench/history-seed.mjs) is built once and kept; each
// run measures on a copy of it (CREATE DATABASE ... TEMPLATE, dropped at the
// end), so the fan-in runs written here never grow it. --reseed rebuilds it.
// PostgreSQL: DATABASE_URL, else a private server whose cluster is kept in
// BENCH_HISTORY_PGDATA (default $TMPDIR/cohort-bench-history-pg).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import pg from 'pg';
import { openPostgresStore } from '@cohort/store';
import { fanInPhases, rawRedis, startDeployment } from './fan-in.mjs';
import { compactedChunk, databaseUrl, provideSeed, sizes } from './history-seed.mjs';
import { fmt, median, printTable, providePostgres, provideRedis, timed } from './lib.mjs';

const KEYS = 20;
const STEPS = 2_500;
const QUERY_STEPS = 1_000_000;
const QUERY_BATCH = 1_000;
const BUCKETS = 1_000;
/** Rounds of the read measures (each reads both databases). */
const READ_ROUNDS = Number(process.env.BENCH_HISTORY_READS ?? 20);
/** Rounds of the fan-in and compaction measures. */
const REPEATS = Number(process.env.BENCH_HISTORY_REPEATS ?? 5);
const RANKS = Number(process.env.BENCH_HISTORY_RANKS ?? 64);
/**
 * The paced phase's load: below what a busy 2-core machine commits (the max
 * phase there is 150,000 to 500,000 points/s), so its latency is the
 * deployment's, not an overload's queue (fan-in's 250,000 target with BENCH_HISTORY_LOAD=250000).
 */
const LOAD = Number(process.env.BENCH_HISTORY_LOAD ?? 100_000);
/** Small batches of the compaction run: each key gets this many chunks of SMALL_STEPS points. */
const SMALL_BATCHES = 64;
const SMALL_STEPS = 50;
const ENTITY = 'bench';
const PROJECT = 'history-scale';

/** Fields of a new run, as the engine creates one. */
function newRun(runId) {
  const now = Date.now() / 1000;
  return {
    entity: ENTITY, project: PROJECT, runId, name: runId, state: 'running', exitCode: null, group: '', jobType: '', rank: null, worldSize: null,
    localRank: null, node: '', tags: [], notes: '', configJson: '{}', summaryJson: '{}', summaryStateJson: '', metricsJson: '[]', startTime: now,
    endTime: null, heartbeatAt: now, runtime: 0, runtimeBase: 0, openedAt: now, lastStep: null, appliedSeq: 0, sweepId: '', host: '', mode: '',
    forkedFrom: '', resumed: false,
  };
}

/** A run written batch by batch through Store.commitBatch (version-guarded, as a worker writes). */
async function openWriter(store, runId) {
  const run = await store.createRun(newRun(runId));
  let version = run.version;
  let seq = 0;
  return {
    pk: run.pk,
    /** Commits `keys` keys × steps [from, from + count); answers the ms it took. */
    async commit(keys, from, count) {
      const steps = Float64Array.from({ length: count }, (_, i) => from + i);
      const numeric = keys.map((key, k) => ({ key, steps, values: steps.map((s) => Math.sin(s / 500 + k)) }));
      const t0 = performance.now();
      const ok = await store.commitBatch(run.pk, version, { appliedSeq: ++seq, numeric, run: { lastStep: from + count - 1 } });
      const ms = performance.now() - t0;
      if (!ok) throw new Error(`history-scale: commitBatch of run ${runId} failed its version guard`);
      version++;
      return ms;
    },
  };
}

/** `[a, b]` in round `r`'s order: a then b in even rounds, b then a in odd ones. */
function interleaved(r, pair) {
  return r % 2 === 0 ? pair : [pair[1], pair[0]];
}

/** Per database: the 1M-step key (its batch commits timed), then the read measures. */
async function measureReads(dbs) {
  const key = 'train/loss';
  for (const db of dbs) {
    db.queryRun = `q${randomBytes(4).toString('hex')}`;
    db.writer = await openWriter(db.store, db.queryRun);
  }
  for (let from = 0; from < QUERY_STEPS; from += QUERY_BATCH) {
    for (const db of interleaved(from / QUERY_BATCH, dbs)) db.samples.commit1k.push(await db.writer.commit([key], from, QUERY_BATCH));
  }
  for (let r = 0; r < READ_ROUNDS; r++) {
    for (const db of interleaved(r, dbs)) {
      db.samples.read.push(
        await timed(async () => {
          const cols = await db.store.readHistory(db.writer.pk, { keys: [key] });
          if (cols.numeric[0]?.steps.length !== QUERY_STEPS) throw new Error(`history-scale: read ${cols.numeric[0]?.steps.length} steps, not ${QUERY_STEPS}`);
        }),
      );
      db.samples.rawRead.push(
        await timed(async () => {
          const { rows } = await db.raw.query('SELECT vals FROM history_chunks WHERE run_pk = $1 AND key_id = 0 ORDER BY last_step', [db.writer.pk]);
          if (rows.reduce((n, row) => n + row.vals.length, 0) !== QUERY_STEPS * 8) throw new Error('history-scale: raw read short');
        }),
      );
    }
  }
  return key;
}

/** Per database and round: a new run, SMALL_BATCHES commits of KEYS × SMALL_STEPS points, one compaction pass; and the raw INSERT. */
async function measureWrites(dbs) {
  const keys = Array.from({ length: KEYS }, (_, k) => `group_${k % 4}/metric_${k}`);
  const blob = Buffer.alloc(SMALL_STEPS * 8, 1);
  for (const db of dbs) await db.raw.query('CREATE TABLE bench_raw_chunks (run_pk BIGINT, key_id INTEGER, first_step BIGINT, last_step BIGINT, n INTEGER, steps BYTEA, vals BYTEA)');
  for (let r = 0; r < REPEATS; r++) {
    for (const db of interleaved(r, dbs)) {
      const writer = await openWriter(db.store, `c${randomBytes(4).toString('hex')}`);
      for (let b = 0; b < SMALL_BATCHES; b++) db.samples.commitSmall.push(await writer.commit(keys, b * SMALL_STEPS, SMALL_STEPS));
      let report;
      db.samples.compact.push(await timed(async () => (report = await db.store.compactHistory())));
      if (report.chunksRemoved !== KEYS * SMALL_BATCHES || report.chunksWritten !== KEYS) {
        throw new Error(`history-scale: the compaction pass merged ${report.chunksRemoved} chunks into ${report.chunksWritten}, not ${KEYS * SMALL_BATCHES} into ${KEYS}`);
      }
      for (let b = 0; b < SMALL_BATCHES; b++) {
        const values = keys.flatMap((_, k) => [writer.pk, k, b * SMALL_STEPS, b * SMALL_STEPS + SMALL_STEPS - 1, SMALL_STEPS, Buffer.alloc(0), blob]);
        const tuples = keys.map((_, k) => `(${Array.from({ length: 7 }, (_, i) => `$${k * 7 + i + 1}`).join(', ')})`).join(', ');
        db.samples.rawInsert.push(await timed(() => db.raw.query(`INSERT INTO bench_raw_chunks VALUES ${tuples}`, values)));
      }
    }
  }
}

/** The chart query over HTTP on each database's coordinator, and fan-in on each deployment, interleaved. */
async function measureDeployments(dbs, key, { redis, redisService, pgService, tmp }) {
  const seriesUrl = (db) => `${db.deployment.coordinators[0].httpUrl}/api/v1/series/${ENTITY}/${PROJECT}?runs=${db.queryRun}&key=${encodeURIComponent(key)}&buckets=${BUCKETS}`;
  // One untimed request each first: a coordinator opens its PostgreSQL connections on first use.
  for (const db of dbs) await (await fetch(seriesUrl(db))).arrayBuffer();
  for (let r = 0; r < READ_ROUNDS; r++) {
    for (const db of interleaved(r, dbs)) {
      const url = seriesUrl(db);
      db.samples.http.push(
        await timed(async () => {
          const res = await fetch(url);
          const body = await res.json();
          if (body.runs?.[db.queryRun]?.points !== QUERY_STEPS) throw new Error(`history-scale: GET /api/v1/series answered ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
        }),
      );
    }
  }
  for (let r = 0; r < REPEATS; r++) {
    for (const db of interleaved(r, dbs)) {
      const { max, paced } = await fanInPhases(RANKS, db.deployment, {
        redis,
        redisPid: redisService.pid,
        postgresPid: pgService.pid,
        dir: join(tmp, `history-ranks-${db.label}-${r}`),
        paced: () => [['paced', LOAD]],
      });
      console.error(`history-scale: fan-in on ${db.label}: max ${fmt(max.rate)} points/s (${fmt(max.stages.batchesPerJob, 1)} batches per job, rank hosts ${fmt(max.stages.cpu.ranks, 2)} cores); paced ${fmt(paced.offered)} points/s offered, p50/p99 ${fmt(paced.p50)}/${fmt(paced.p99)} ms`);
      db.samples.fanInMax.push(max.rate);
      db.samples.fanInP50.push(paced.p50);
      db.samples.fanInP99.push(paced.p99);
      db.samples.fanInOffered.push(paced.offered);
      db.samples.fanInApply.push(max.stages.applyMeanMs / max.stages.batchesPerJob);
    }
  }
}

/** The statements that took the most time, with their calls and mean time in each database (`dbs`: empty, seeded). */
async function statementTimes(admin, dbs) {
  const { rows } = await admin.query(
    `SELECT regexp_replace(left(s.query, 100), '\\s+', ' ', 'g') AS query,
       sum(s.calls) FILTER (WHERE d.datname = $1) AS calls_a, sum(s.plans) FILTER (WHERE d.datname = $1) AS plans_a,
       sum(s.total_exec_time) FILTER (WHERE d.datname = $1) / sum(s.calls) FILTER (WHERE d.datname = $1) AS mean_a,
       sum(s.calls) FILTER (WHERE d.datname = $2) AS calls_b, sum(s.plans) FILTER (WHERE d.datname = $2) AS plans_b,
       sum(s.total_exec_time) FILTER (WHERE d.datname = $2) / sum(s.calls) FILTER (WHERE d.datname = $2) AS mean_b
     FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname IN ($1, $2)
     GROUP BY 1 ORDER BY sum(s.total_exec_time) DESC LIMIT 15`,
    [dbs[0].name, dbs[1].name],
  );
  const n = (v, digits) => (v === null ? '' : fmt(Number(v), digits));
  return rows.map((r) => [r.query.replaceAll('|', '/'), `${n(r.calls_a, 0)} / ${n(r.plans_a, 0)}`, n(r.mean_a, 3), `${n(r.calls_b, 0)} / ${n(r.plans_b, 0)}`, n(r.mean_b, 3)]);
}

/**
 * A table row: each database's median, or `center` (with the range of its
 * samples, the noise to read the ratio against), the ratio and whether it
 * is within 20% (`higher`: more is better).
 */
function row(label, dbs, sample, digits = 1, higher = false, center = median) {
  const cell = (values) => `${fmt(center(values), digits)} (${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)})`;
  const [a, b] = dbs.map((db) => center(db.samples[sample]));
  const ratio = b / a;
  const within = Math.abs(ratio - 1) <= 0.2;
  const better = higher ? ratio > 1 : ratio < 1;
  return [label, cell(dbs[0].samples[sample]), cell(dbs[1].samples[sample]), `${fmt(ratio, 2)}×`, within ? 'yes' : better ? 'no (better)' : 'no'];
}

function mean(values) {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** The share of (empty, seeded) sample pairs in which the seeded one is at least the empty one (ties count half), in %. */
function seededAtLeast(dbs, sample) {
  const [a, b] = dbs.map((db) => db.samples[sample]);
  const wins = a.reduce((n, x) => n + b.reduce((m, y) => m + (y > x ? 1 : y === x ? 0.5 : 0), 0), 0);
  return (wins / (a.length * b.length)) * 100;
}

/**
 * Runs part (n): `full` seeds 100 million points (2,000 runs), else
 * BENCH_HISTORY_RUNS (default 200: 10 million); `reseed` rebuilds the
 * cached seed.
 */
export async function benchHistoryScale(tmp, { full = false, reseed = false } = {}) {
  const runs = Number(process.env.BENCH_HISTORY_RUNS ?? (full ? 2_000 : 200));
  const shape = { runs, keys: KEYS, steps: STEPS, chunk: compactedChunk(STEPS) };
  const points = runs * KEYS * STEPS;
  // BENCH_HISTORY_PG_STATS=1: pg_stat_statements (with planning counted), each statement's calls, plans and mean time in both databases printed at the end.
  const pgStats = Boolean(process.env.BENCH_HISTORY_PG_STATS);
  // BENCH_HISTORY_PG_SETTINGS="name=value ...": settings of the private server (e.g. plan_cache_mode=force_generic_plan).
  const settings = (process.env.BENCH_HISTORY_PG_SETTINGS ?? '').split(/\s+/).filter(Boolean);
  const pgService = await providePostgres([...settings, ...(pgStats ? ['shared_preload_libraries=pg_stat_statements', 'pg_stat_statements.track_planning=on'] : [])], {
    dataDir: process.env.BENCH_HISTORY_PGDATA ?? join(tmpdir(), 'cohort-bench-history-pg'),
  });
  const redisService = await provideRedis().catch(async (err) => {
    await pgService.stop();
    throw err;
  });
  const admin = new pg.Client({ connectionString: pgService.url });
  await admin.connect();
  const suffix = randomBytes(4).toString('hex');
  const dbs = [
    { label: 'empty', name: `bench_history_empty_${suffix}` },
    { label: 'seeded', name: `bench_history_seeded_${suffix}` },
  ];
  for (const db of dbs) db.samples = { commit1k: [], read: [], rawRead: [], commitSmall: [], compact: [], rawInsert: [], http: [], fanInMax: [], fanInP50: [], fanInP99: [], fanInOffered: [], fanInApply: [] };
  const redis = new Redis(redisService.url);
  let seed;
  let copySeconds;
  const processes = [];
  let raw;
  let statements;
  try {
    seed = await provideSeed(admin, pgService.url, shape, { reseed });
    console.error(`history-scale: ${seed.cached ? 'cached' : 'seeded'} ${seed.name}; copying it for this run`);
    await admin.query(`CREATE DATABASE ${dbs[0].name}`);
    // PostgreSQL 15 copies through the WAL by default; FILE_COPY copies the files (far faster for a big database).
    const fileCopy = Number((await admin.query('SHOW server_version_num')).rows[0].server_version_num) >= 150000 ? ' STRATEGY FILE_COPY' : '';
    copySeconds = (await timed(() => admin.query(`CREATE DATABASE ${dbs[1].name} TEMPLATE ${seed.name}${fileCopy}`))) / 1000;
    // The copy's files are dirty in the page cache: written back now, not under the seeded database's first writes.
    execFileSync('sync');
    for (const db of dbs) {
      db.url = databaseUrl(pgService.url, db.name);
      db.store = await openPostgresStore(db.url, { max: 4 });
      db.raw = new pg.Client({ connectionString: db.url });
      await db.raw.connect();
      db.sizeBefore = await sizes(db.raw);
    }
    if (pgStats) await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset()');
    const key = await measureReads(dbs);
    await measureWrites(dbs);
    for (const db of dbs) {
      db.deployment = await startDeployment({ redisUrl: redisService.url, postgresUrl: db.url, prefix: `history-${db.label}-${suffix}`, dir: join(tmp, `history-${db.label}`), processes });
    }
    await measureDeployments(dbs, key, { redis, redisService, pgService, tmp });
    raw = await rawRedis(redis, 'lpush');
    if (pgStats) statements = await statementTimes(admin, dbs);
  } finally {
    await Promise.allSettled(processes.map((p) => p.stop()));
    for (const db of dbs) {
      await db.store?.close();
      await db.raw?.end();
      await admin.query(`DROP DATABASE IF EXISTS ${db.name} WITH (FORCE)`).catch(() => undefined);
    }
    redis.disconnect();
    await admin.end();
    await redisService.stop();
    await pgService.stop();
  }
  const mb = (bytes) => fmt(bytes / 2 ** 20);
  console.log(
    `\n(n) seeded database ${seed.name}: ${fmt(runs)} runs × ${KEYS} keys × ${fmt(STEPS)} steps = ${fmt(points)} points in chunks of ${fmt(shape.chunk)} ` +
      `(compacted history); ${seed.cached ? `cached, seeded ${seed.seededAt} in` : 'seeded now in'} ${fmt(seed.seedSeconds, 1)} s, then VACUUM (ANALYZE) ` +
      `${fmt(seed.vacuumSeconds ?? NaN, 1)} s; history_chunks ${mb(seed.chunks)} MiB with TOAST and indexes, database ${mb(seed.database)} MiB; ` +
      `copied for this run in ${fmt(copySeconds, 1)} s. Before the measures: empty database ${mb(dbs[0].sizeBefore.database)} MiB, seeded ${mb(dbs[1].sizeBefore.database)} MiB.`,
  );
  const seeded = `${fmt(points / 1e6)}M points`;
  printTable(
    `(n) stored history vs an empty database, same PostgreSQL, interleaved; medians unless named (reads of ${READ_ROUNDS}, commits of all batches, fan-in and compaction of ${REPEATS})`,
    ['measure', 'empty', seeded, 'ratio', 'within 20%?'],
    [
      row(`chart query: GET /api/v1/series, 1 key × ${fmt(QUERY_STEPS)} steps → ${fmt(BUCKETS)} buckets, ms`, dbs, 'http'),
      row(`store.readHistory of that key (${fmt(QUERY_STEPS)} points), ms`, dbs, 'read'),
      row(`fan-in, ${RANKS} ranks: max points/s committed`, dbs, 'fanInMax', 0, true),
      row(`fan-in max: mean (bimodal; seeded ≥ empty in ${fmt(seededAtLeast(dbs, 'fanInMax'))}% of pairs)`, dbs, 'fanInMax', 0, true, mean),
      row(`fan-in, ${RANKS} ranks, paced at ${fmt(LOAD)} points/s: latency p50 ms`, dbs, 'fanInP50', 0),
      row(`fan-in, ${RANKS} ranks, paced: latency p99 ms`, dbs, 'fanInP99', 0),
      row(`fan-in paced: points/s offered`, dbs, 'fanInOffered', 0, true),
      row('fan-in max: worker apply per batch (mean per job ÷ batches per job), ms', dbs, 'fanInApply'),
      row(`commitBatch of 1 key × ${fmt(QUERY_BATCH)} steps (the 1M-step key's writes), ms`, dbs, 'commit1k', 2),
      row(`commitBatch of ${KEYS} keys × ${SMALL_STEPS} steps on a new run, ms`, dbs, 'commitSmall', 2),
      row(`compaction pass: ${KEYS * SMALL_BATCHES} small chunks of one run → ${KEYS}, ms`, dbs, 'compact'),
      row(`raw node-postgres: SELECT the 1M-step key's ${QUERY_STEPS / QUERY_BATCH} blobs, ms`, dbs, 'rawRead'),
      row(`raw node-postgres: INSERT ${KEYS} rows of ${SMALL_STEPS * 8}-byte blobs, table without indexes, ms`, dbs, 'rawInsert', 2),
    ],
  );
  if (statements) {
    printTable('(n) PostgreSQL statements by total time (pg_stat_statements): calls / plans made and mean execution ms in each database', ['query', 'empty: calls / plans', 'empty: mean ms', 'seeded: calls / plans', 'seeded: mean ms'], statements);
  }
  printTable('(n) raw Redis baseline, same run', ['path', 'points/s'], [[`pipelined LPUSH of the fan-in rows (JSON, ${KEYS} keys per step, pipelines of 1000)`, fmt(raw.rate)]]);
}

// `node bench/history-scale.mjs [--full] [--reseed]` runs this part alone (after `npm run build`).
if (import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const tmp = mkdtempSync(join(tmpdir(), 'cohort-bench-history-'));
  try {
    await benchHistoryScale(tmp, { full: process.argv.includes('--full'), reseed: process.argv.includes('--reseed') });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
