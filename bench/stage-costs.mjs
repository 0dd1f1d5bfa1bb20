// npm run bench, part (e2): the CPU cost per point of each scaled-mode stage on
// this machine, each beside a raw baseline measured in the same run, for the
// load simulation (bench/scaling-sim.mjs) and docs/scaling.md.
//
// CPU time, not wall time: the bench's own work by process.cpuUsage(), every
// other process's (rank hosts, coordinator, workers, redis-server, the
// PostgreSQL postmaster and its backends) from /proc/<pid>/stat. On a busy
// machine a stage then reads what it costs, not how long it waited for a core.
//
// - SDK: log() + encode + WAL append of an offline run, in this process, beside
//   appending the same rows as JSON lines to a file (one write per 10 steps).
// - The scaled path (real processes: rank hosts of fan-in-rank.mjs, one
//   coordinator, two workers, Redis, PostgreSQL), two phases: 64 ranks paced
//   at 1,000 points/s each (small batches, as at the target load), and 8 ranks
//   logging as fast as they can (batches and jobs as large as they get), each
//   less the same processes' idle CPU with the runs open. Each process group's
//   CPU seconds fitted as a × units + b × points (two phases, two unknowns;
//   the unit is a batch sent for the ranks and the coordinator, a batch
//   applied for the workers, a job for Redis and PostgreSQL), so the
//   simulation can scale the per-batch or per-job cost and the per-point cost
//   apart.
//   Beside it: Redis commands, network bytes and memory per job (INFO), and
//   PostgreSQL WAL bytes and commits per point (pg_current_wal_lsn,
//   pg_stat_database).
// - Raw Redis: the first phase's own job payloads (read back from the
//   completed jobs BullMQ keeps) pushed again with pipelined XADD and LPUSH.
// - Raw PostgreSQL: the chunk rows the workers wrote (the same bytea), INSERTed
//   again over unnest arrays, as many rows per statement as a job wrote.
// - Disk: history bytes per point as written, and after compaction + VACUUM FULL.
// - Read path: one metric of 1,000,000 steps, compacted, read as a 1,000-bucket
//   chart (GET /series) beside a raw SELECT of the same chunk rows.
//
// `node bench/stage-costs.mjs [--json FILE]` runs this part alone and writes
// the figures as JSON (the simulation's input; bench/stage-costs.json is this
// machine's). BENCH_STAGES_SECONDS (8) sets a phase's length,
// BENCH_STAGES_READ_STEPS (1,000,000) the read path's metric.
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { decodeRecord } from '@cohort/protocol';
import { openPostgresStore } from '@cohort/store';
import { init } from '@cohort/sdk';
import { cpuSeconds, startProbe, withChildren } from './fan-in-probe.mjs';
import { RankHosts } from './fan-in.mjs';
import { fmt, median, printTable, provideRedis, providePostgres, startCohortProcess } from './lib.mjs';

const KEYS = 20;
const SECONDS = Number(process.env.BENCH_STAGES_SECONDS ?? 8);
const READ_STEPS = Number(process.env.BENCH_STAGES_READ_STEPS ?? 1_000_000);
const WORKERS = 2;
const CONCURRENCY = 8;
/**
 * The two phases, each run ROUNDS times, alternating: 64 ranks paced at 1,000
 * points/s each (the SDK's 200 ms flushes: small batches, as at the target
 * load), and 8 ranks logging 1,024,000 points as fast as they can (batches and
 * jobs as large as they get). The same work counted two ways tells the cost
 * per batch or job from the cost per point.
 */
const PHASES = [
  { ranks: 64, pointsPerRank: 1_000 },
  { ranks: 8, points: 1_024_000 },
];
const ROUNDS = Number(process.env.BENCH_STAGES_ROUNDS ?? 2);
/** Seconds of each phase's runs opened and idle (heartbeats, polling), measured before it logs and subtracted from it. */
const IDLE_SECONDS = 2;

const literal = new Function('i', `return { ${Array.from({ length: KEYS }, (_, k) => `metric_${k}: Math.sin(i + ${k}) * 100`).join(', ')} };`);
const us = (seconds, n) => (seconds * 1e6) / n;
/** This process's CPU seconds (user + system) since `from` (a process.cpuUsage()). */
const ownCpu = (from) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
};
/** CPU seconds of each of `pids` now. */
const cpuSnapshot = (pids) => new Map(pids.map((pid) => [pid, cpuSeconds(pid)]));
/**
 * CPU seconds `pids` spent since `before` (a cpuSnapshot): a process born
 * since counts whole, one gone since is lost (a PostgreSQL backend whose
 * client disconnected), never negative.
 */
const cpuSince = (before, pids) => pids.reduce((s, pid) => s + Math.max(0, cpuSeconds(pid) - (before.get(pid) ?? 0)), 0);

function dirBytes(dir) {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return total;
}

/** SDK: log() + encode + WAL append (offline run), beside raw JSON-lines appends of the same rows. */
async function sdkCost(tmp) {
  const steps = 50_000;
  const dir = join(tmp, 'stage-sdk');
  const c0 = process.cpuUsage();
  const run = await init({ project: 'stages', mode: 'offline', dir, settings: { silent: true, console: 'off', systemMetricsSeconds: 0 } });
  for (let i = 0; i < steps; i++) {
    run.log(literal(i));
    if (i % 100 === 99) await yieldTurn();
  }
  await run.finish();
  const sdk = ownCpu(c0);
  const walBytes = dirBytes(dir);
  const file = join(tmp, 'stage-raw.jsonl');
  const c1 = process.cpuUsage();
  for (let i = 0; i < steps; i += 10) {
    let lines = '';
    for (let s = i; s < i + 10; s++) lines += `${JSON.stringify({ _step: s, ...literal(s) })}\n`;
    appendFileSync(file, lines);
  }
  const raw = ownCpu(c1);
  const rawBytes = statSync(file).size;
  const points = steps * KEYS;
  return { cpuPerPointUs: us(sdk, points), walBytesPerPoint: walBytes / points, raw: { cpuPerPointUs: us(raw, points), bytesPerPoint: rawBytes / points } };
}

async function redisInfo(redis) {
  const text = `${await redis.info('stats')}\n${await redis.info('memory')}\n${await redis.info('commandstats')}`;
  const num = (name) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  let calls = 0;
  for (const m of text.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)) calls += Number(m[1]);
  return { calls, netIn: num('total_net_input_bytes'), netOut: num('total_net_output_bytes'), memory: num('used_memory') };
}

/** WAL position, commits, and chunk rows (compaction is off: a batch the workers apply writes one chunk per key of its run). */
async function pgCounters(db) {
  const { rows } = await db.query(
    `SELECT pg_current_wal_lsn()::text AS lsn, (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database())::bigint AS commits,
       (SELECT count(*) FROM history_chunks)::bigint AS chunks`,
  );
  return rows[0];
}

async function historyBytes(db) {
  const { rows } = await db.query(
    // Each table and, where it is partitioned, its partitions (a partitioned parent has no storage of its own).
    `SELECT coalesce(sum(pg_total_relation_size(relid)), 0)::bigint AS bytes
     FROM (SELECT t::regclass AS relid FROM unnest($1::text[]) t UNION SELECT p.relid FROM unnest($1::text[]) t, pg_partition_tree(t::regclass) p) r`,
    [['history_chunks', 'history_keys', 'history_json']],
  );
  return Number(rows[0].bytes);
}

/**
 * What a group's work is counted in besides points: the SDK and the
 * coordinator handle the batches the SDK sends, the workers the batches they
 * apply (a run's batches that waited behind its previous job go as one; the
 * worker plans and writes each apart), Redis and PostgreSQL jobs (BullMQ's
 * scripts and events; one statement).
 */
const UNIT = { ranks: 'batch', coordinator: 'batch', workers: 'applied', redis: 'job', postgres: 'job' };
const unitCount = (phase, unit) => (unit === 'batch' ? phase.batches : unit === 'applied' ? phase.applied : phase.jobs);

/** Solves y = a × units + b × points from two phases' `x` (batches or jobs), points and y. */
function solve(p, q) {
  const det = p.x * q.points - q.x * p.points;
  return { perUnit: (p.y * q.points - q.y * p.points) / det, perPoint: (p.x * q.y - q.x * p.y) / det };
}

/** A group's CPU fitted as a × units + b × points (µs per batch or job, µs per point). */
function fitGroup(p, q, group) {
  const unit = UNIT[group];
  const of = (phase) => ({ x: unitCount(phase, unit), points: phase.points, y: phase.cpu[group] * 1e6 });
  const { perUnit, perPoint } = solve(of(p), of(q));
  return { unit, perUnitUs: perUnit, perPointUs: perPoint };
}

/**
 * One phase of `ranks` ranks, paced at `pointsPerRank` points/s each or
 * logging `points` in all as fast as they can: CPU
 * seconds per process group and the queue's counters, less what the same
 * processes spend idle with the runs open (measured for IDLE_SECONDS first).
 */
async function runPhase(ctx, { ranks, pointsPerRank = 0, points: total = 0 }, index) {
  const hosts = new RankHosts(ranks, [ctx.coordinator.grpcAddress], join(ctx.tmp, `stage-ranks-${index}`));
  try {
    await hosts.all(null, 'loaded');
    const pace = { steps: Math.ceil(total / KEYS / ranks), durationMs: SECONDS * 1000, stepsPerSec: pointsPerRank / KEYS };
    await hosts.all({ type: 'open', project: `stages-${index}`, ...pace, sampled: [] }, 'ready');
    const groups = { ranks: () => hosts.pids, coordinator: () => [ctx.coordinator.pid], workers: () => ctx.workers.map((w) => w.pid), redis: () => [ctx.redisPid], postgres: () => withChildren(ctx.pgPid) };
    const cpuNow = () => Object.fromEntries(Object.entries(groups).map(([g, pids]) => [g, cpuSnapshot(pids())]));
    const cpuFrom = (snapshot) => Object.fromEntries(Object.entries(groups).map(([g, pids]) => [g, cpuSince(snapshot[g], pids())]));
    const idle0 = cpuNow();
    const idleCalls0 = (await redisInfo(ctx.redis)).calls;
    const i0 = performance.now();
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    const idleSeconds = (performance.now() - i0) / 1000;
    const idleCpu = cpuFrom(idle0);
    const cpu0 = cpuNow();
    const idle = Object.fromEntries(Object.keys(groups).map((g) => [g, idleCpu[g] / idleSeconds]));
    const [r0, p0] = [await redisInfo(ctx.redis), await pgCounters(ctx.db)];
    const idleCallsPerSec = (r0.calls - idleCalls0) / idleSeconds;
    const stopProbe = await startProbe({ groups: {}, trees: {}, coordinatorUrls: [ctx.coordinator.httpUrl], workerUrls: ctx.workers.map((w) => w.httpUrl) });
    const t0 = performance.now();
    const done = await hosts.all({ type: 'go' }, 'done');
    const seconds = (performance.now() - t0) / 1000;
    const stages = await stopProbe();
    const spent = cpuFrom(cpu0);
    const cpu = Object.fromEntries(Object.keys(groups).map((g) => [g, Math.max(0, spent[g] - idle[g] * seconds)]));
    const [r1, p1] = [await redisInfo(ctx.redis), await pgCounters(ctx.db)];
    const { rows } = await ctx.db.query('SELECT pg_wal_lsn_diff($1, $2)::bigint AS wal', [p1.lsn, p0.lsn]);
    const points = done.reduce((n, d) => n + d.steps, 0) * KEYS;
    return {
      ranks,
      pointsPerRank,
      seconds,
      points,
      batches: Math.round(stages.batchesPerSec * seconds),
      applied: (Number(p1.chunks) - Number(p0.chunks)) / KEYS,
      jobs: Math.round(stages.jobsPerSec * seconds),
      ackP50Ms: stages.ackP50,
      ackP99Ms: stages.ackP99,
      cpu,
      idleCpuPerSec: idle,
      redis: { calls: Math.max(0, r1.calls - r0.calls - idleCallsPerSec * seconds), idleCallsPerSec, netIn: r1.netIn - r0.netIn, netOut: r1.netOut - r0.netOut, memory: r1.memory },
      pg: { walBytes: Number(rows[0].wal), commits: Number(p1.commits) - Number(p0.commits) },
    };
  } finally {
    await hosts.close();
  }
}

/** The rounds of one phase as one: counters summed; Redis memory, latencies and idle rates those of the first round. */
function sumRuns(list) {
  const add = (f) => list.reduce((n, r) => n + f(r), 0);
  const [first] = list;
  const byGroup = (f) => Object.fromEntries(Object.keys(first.cpu).map((g) => [g, add((r) => f(r)[g])]));
  return {
    ...first,
    rounds: list.length,
    seconds: add((r) => r.seconds),
    points: add((r) => r.points),
    batches: add((r) => r.batches),
    applied: add((r) => r.applied),
    jobs: add((r) => r.jobs),
    cpu: byGroup((r) => r.cpu),
    redis: { ...first.redis, calls: add((r) => r.redis.calls), netIn: add((r) => r.redis.netIn), netOut: add((r) => r.redis.netOut) },
    pg: { walBytes: add((r) => r.pg.walBytes), commits: add((r) => r.pg.commits) },
  };
}

/** The completed jobs BullMQ keeps (up to 1000): their data as it sat in Redis, and the points in it. */
async function completedPayloads(redis, prefix) {
  const ids = await redis.zrange(`${prefix}:batches:completed`, 0, -1);
  const data = (await Promise.all(ids.map((id) => redis.hget(`${prefix}:batches:${id}`, 'data')))).filter(Boolean);
  let points = 0;
  for (const d of data) {
    for (const b of JSON.parse(d).batches) {
      for (const r of b.records) {
        const record = decodeRecord(Buffer.from(r, 'base64'));
        if (record.kind === 'rows') points += record.rows.numValues.length;
      }
    }
  }
  return { data, points };
}

/** Raw Redis: the same job payloads, pipelined XADD or LPUSH, 64 to a pipeline; this process's CPU + redis-server's. */
async function rawRedis(ctx, payloads, command) {
  const key = `stage-raw-${randomBytes(4).toString('hex')}`;
  const repeat = 10;
  const c0 = process.cpuUsage();
  const s0 = cpuSeconds(ctx.redisPid);
  const m0 = await redisInfo(ctx.redis);
  for (let r = 0; r < repeat; r++) {
    for (let i = 0; i < payloads.data.length; i += 64) {
      const p = ctx.redis.pipeline();
      for (const d of payloads.data.slice(i, i + 64)) {
        if (command === 'lpush') p.lpush(key, d);
        else p.xadd(key, '*', 'd', d);
      }
      await p.exec();
    }
  }
  const cpu = ownCpu(c0) + cpuSeconds(ctx.redisPid) - s0;
  const m1 = await redisInfo(ctx.redis);
  await ctx.redis.del(key);
  const jobs = payloads.data.length * repeat;
  return { cpuPerPointUs: us(cpu, payloads.points * repeat), cpuPerJobUs: us(cpu, jobs), memoryPerPoint: (m1.memory - m0.memory) / (payloads.points * repeat) };
}

/** Raw PostgreSQL: the chunk rows the workers wrote, INSERTed again over unnest arrays, `perStatement` rows at a time. */
async function rawPostgres(ctx, perStatement) {
  const { rows } = await ctx.db.query('SELECT run_pk, key_id, first_step, last_step, n, steps, vals FROM history_chunks ORDER BY id');
  await ctx.db.query(`CREATE TABLE raw_chunks (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, run_pk BIGINT NOT NULL, key_id INTEGER NOT NULL,
    first_step BIGINT NOT NULL, last_step BIGINT NOT NULL, n INTEGER NOT NULL, steps BYTEA NOT NULL, vals BYTEA NOT NULL);
    CREATE INDEX raw_chunks_range ON raw_chunks (run_pk, key_id, last_step)`);
  const c0 = process.cpuUsage();
  const s0 = cpuSnapshot(withChildren(ctx.pgPid));
  const w0 = await pgCounters(ctx.db);
  for (let i = 0; i < rows.length; i += perStatement) {
    const part = rows.slice(i, i + perStatement);
    const col = (name) => part.map((r) => r[name]);
    await ctx.db.query(
      `INSERT INTO raw_chunks (run_pk, key_id, first_step, last_step, n, steps, vals)
       SELECT * FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::bigint[], $5::int[], $6::bytea[], $7::bytea[])`,
      ['run_pk', 'key_id', 'first_step', 'last_step', 'n', 'steps', 'vals'].map(col),
    );
  }
  const cpu = ownCpu(c0) + cpuSince(s0, withChildren(ctx.pgPid));
  const w1 = await pgCounters(ctx.db);
  const { rows: wal } = await ctx.db.query('SELECT pg_wal_lsn_diff($1, $2)::bigint AS wal', [w1.lsn, w0.lsn]);
  const points = rows.reduce((n, r) => n + r.n, 0);
  await ctx.db.query('DROP TABLE raw_chunks');
  return { cpuPerPointUs: us(cpu, points), walBytesPerPoint: Number(wal[0].wal) / points, rows: rows.length };
}

/** Compacts until nothing is left to merge, then VACUUM FULL: the steady state of history on disk. */
async function compactAll(ctx) {
  const store = await openPostgresStore(ctx.dbUrl);
  try {
    for (;;) {
      const report = await store.compactHistory({ minSmallChunks: 2 });
      if (report.runs === 0) break;
    }
  } finally {
    await store.close();
  }
  await ctx.db.query('VACUUM FULL');
}

/** Read path: one metric of READ_STEPS steps through the scaled path, compacted, read as a 1,000-bucket chart. */
async function readPath(ctx) {
  process.env.COHORT_URL = ctx.coordinator.httpUrl;
  const run = await init({ project: 'stages-read', mode: 'online', dir: join(ctx.tmp, 'stage-read'), settings: { silent: true, console: 'off', systemMetricsSeconds: 0 } });
  for (let i = 0; i < READ_STEPS; i++) {
    run.log({ loss: Math.sin(i / 500) });
    if (i % 1000 === 999) await yieldTurn();
  }
  await run.finish();
  await compactAll(ctx);
  const url = `${ctx.coordinator.httpUrl}/api/v1/runs/${run.entity}/stages-read/${run.id}/series?keys=loss&buckets=1000`;
  const measure = async (fn) => {
    await fn();
    const walls = [];
    const c0 = process.cpuUsage();
    const k0 = cpuSeconds(ctx.coordinator.pid);
    const s0 = cpuSnapshot(withChildren(ctx.pgPid));
    const repeats = 10;
    for (let r = 0; r < repeats; r++) {
      const t = performance.now();
      await fn();
      walls.push(performance.now() - t);
    }
    const scale = 1e6 / READ_STEPS / repeats;
    return { wallMs: median(walls) * (1e6 / READ_STEPS), serverCpuMs: (cpuSeconds(ctx.coordinator.pid) - k0) * 1000 * scale, pgCpuMs: cpuSince(s0, withChildren(ctx.pgPid)) * 1000 * scale, clientCpuMs: ownCpu(c0) * 1000 * scale };
  };
  const chart = await measure(async () => {
    const body = await (await fetch(url)).json();
    if (body.series.loss.x.length !== 1000) throw new Error('read path: expected 1000 buckets');
  });
  const { rows } = await ctx.db.query(`SELECT pk FROM runs WHERE run_id = $1`, [run.id]);
  const raw = await measure(() => ctx.db.query('SELECT steps, vals FROM history_chunks WHERE run_pk = $1 ORDER BY key_id, last_step', [rows[0].pk]));
  return { chart, raw };
}

async function withDeployment(tmp, fn) {
  const redisService = await provideRedis();
  const pgService = await providePostgres().catch(async (err) => {
    await redisService.stop();
    throw err;
  });
  if (!redisService.pid || !pgService.pid) throw new Error('stage costs: needs private redis-server and postgres (their CPU is read from /proc); unset REDIS_URL / DATABASE_URL');
  const dbName = `stages_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgService.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(pgService.url);
  dbUrl.pathname = `/${dbName}`;
  const db = new pg.Client({ connectionString: dbUrl.href });
  await db.connect();
  const prefix = `stages-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(redisService.url);
  const processes = [];
  try {
    const common = ['--redis', redisService.url, '--postgres', dbUrl.href, '--prefix', prefix];
    // Compaction off: the chunks stay as the workers wrote them (the raw PostgreSQL baseline re-inserts them); compactAll runs it by hand.
    const coordinator = await startCohortProcess('server', [...common, '--grpc-port', '0', '--http-port', '0', '--data', join(tmp, 'stage-coordinator'), '--compaction-interval-ms', '0']);
    processes.push(coordinator);
    for (let i = 0; i < WORKERS; i++) processes.push(await startCohortProcess('worker', [...common, '--http-port', '0', '--concurrency', String(CONCURRENCY)]));
    return await fn({ tmp, coordinator, workers: processes.slice(1), redis, redisPid: redisService.pid, pgPid: pgService.pid, db, dbUrl: dbUrl.href, prefix });
  } finally {
    await Promise.allSettled(processes.map((p) => p.stop()));
    redis.disconnect();
    await db.end();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await pgService.stop();
    await redisService.stop();
  }
}

/** Measures every stage; answers the figures (the JSON the simulation reads). */
export async function measureStageCosts(tmp) {
  mkdirSync(tmp, { recursive: true });
  const sdk = await sdkCost(tmp);
  return withDeployment(tmp, async (ctx) => {
    const redisBase = (await redisInfo(ctx.redis)).memory;
    const runs = [];
    let payloads;
    for (let round = 0; round < ROUNDS; round++) {
      for (const [k, phase] of PHASES.entries()) {
        runs.push({ k, ...(await runPhase(ctx, phase, runs.length)) });
        if (runs.length === 1) payloads = await completedPayloads(ctx.redis, ctx.prefix);
      }
    }
    const phases = PHASES.map((_, k) => sumRuns(runs.filter((r) => r.k === k)));
    const [a, b] = phases;
    const written = await historyBytes(ctx.db);
    const pointsWritten = phases.reduce((n, p) => n + p.points, 0);
    const rawPg = await rawPostgres(ctx, Math.max(1, Math.round((await ctx.db.query('SELECT count(*)::int AS n FROM history_chunks')).rows[0].n / (a.jobs + b.jobs))));
    const rawXadd = await rawRedis(ctx, payloads, 'xadd');
    const rawLpush = await rawRedis(ctx, payloads, 'lpush');
    await compactAll(ctx);
    const compacted = await historyBytes(ctx.db);
    const read = await readPath(ctx);
    const groups = Object.keys(a.cpu);
    return {
      machine: { cores: (await import('node:os')).cpus().length, note: 'CPU seconds from /proc and process.cpuUsage; the machine is shared, so ± tens of %' },
      measuredAt: new Date().toISOString(),
      keysPerStep: KEYS,
      sdk,
      phases,
      fit: Object.fromEntries(groups.map((g) => [g, fitGroup(a, b, g)])),
      perPointUs: Object.fromEntries(groups.map((g) => [g, phases.map((p) => us(p.cpu[g], p.points))])),
      perJobUs: Object.fromEntries(['workers', 'postgres', 'redis'].map((g) => [g, phases.map((p) => us(p.cpu[g], p.jobs))])),
      redis: {
        callsPerJob: phases.map((p) => p.redis.calls / p.jobs),
        netInBytesPerPoint: phases.map((p) => p.redis.netIn / p.points),
        netOutBytesPerPoint: phases.map((p) => p.redis.netOut / p.points),
        payloadBytesPerPoint: payloads.data.reduce((n, d) => n + d.length, 0) / payloads.points,
        // After the first round every job of it is still kept (BullMQ keeps completed jobs 60 s, 1000 of them).
        memoryPerRetainedPoint: (runs[0].redis.memory - redisBase) / runs[0].points,
        raw: { xadd: rawXadd, lpush: rawLpush },
      },
      postgres: {
        walBytesPerPoint: phases.map((p) => p.pg.walBytes / p.points),
        walFit: solve({ x: a.applied, points: a.points, y: a.pg.walBytes }, { x: b.applied, points: b.points, y: b.pg.walBytes }),
        commitsPerJob: phases.map((p) => p.pg.commits / p.jobs),
        bytesPerPointWritten: written / pointsWritten,
        bytesPerPointCompacted: compacted / pointsWritten,
        raw: rawPg,
      },
      read,
    };
  });
}

/** Prints the figures as the bench's tables. */
export function printStageCosts(c) {
  const [a, b] = c.phases;
  /** µs per point of one group, or of several together, in each phase. */
  const pp = (...groups) => c.phases.map((_, i) => fmt(groups.reduce((n, g) => n + c.perPointUs[g][i], 0), 2)).join(' / ');
  const unitName = { batch: 'batch sent', applied: 'batch applied', job: 'job' };
  const f = (g) => `${fmt(c.fit[g].perUnitUs)} per ${unitName[c.fit[g].unit]} + ${fmt(c.fit[g].perPointUs, 2)}`;
  printTable(
    `(e2) stage costs: CPU µs per point of each process group (from /proc), phases ${a.ranks} ranks × ${fmt(a.pointsPerRank)} points/s ` +
      `(${fmt(a.points / a.batches)} points per batch sent, ${fmt(a.points / a.applied)} per batch applied, ${fmt(a.applied / a.jobs, 1)} applied per job) / ` +
      `${b.ranks} ranks as fast as they can (${fmt(b.points / b.batches)}, ${fmt(b.points / b.applied)}, ${fmt(b.applied / b.jobs, 1)}; ${fmt(b.points / b.seconds)} points/s), ${ROUNDS} rounds each; ` +
      `fit: µs per batch (sent or applied) or job + µs per point`,
    ['stage', 'µs per point (phase 1 / 2)', 'fit: µs per batch or job + µs per point', 'raw baseline, same run', 'raw µs per point'],
    [
      ['SDK log() + encode + WAL append (offline, in process)', fmt(c.sdk.cpuPerPointUs, 2), '', 'JSON lines appended to a file, a write per 10 steps', fmt(c.sdk.raw.cpuPerPointUs, 2)],
      ['rank hosts: SDK + gRPC send + acks (online)', pp('ranks'), f('ranks'), '', ''],
      ['coordinator: gRPC receive + validate + gather + enqueue + ack', pp('coordinator'), f('coordinator'), '', ''],
      ['Redis (BullMQ scripts, events)', pp('redis'), f('redis'), '', ''],
      ['enqueue path: coordinator + Redis', pp('coordinator', 'redis'), '', 'the same job payloads, pipelined XADD (client + redis-server)', fmt(c.redis.raw.xadd.cpuPerPointUs, 3)],
      ['', '', '', 'the same job payloads, pipelined LPUSH (client + redis-server)', fmt(c.redis.raw.lpush.cpuPerPointUs, 3)],
      ['workers: decode + check + engine plan + commit', pp('workers'), f('workers'), '', ''],
      ['PostgreSQL (postmaster + backends)', pp('postgres'), f('postgres'), '', ''],
      ['apply path: workers + PostgreSQL', pp('workers', 'postgres'), '', `the same ${fmt(c.postgres.raw.rows)} chunk rows INSERTed over unnest (client + backends)`, fmt(c.postgres.raw.cpuPerPointUs, 3)],
    ],
  );
  printTable('(e2) stage costs: per job, bytes, memory', ['measure', 'phase 1 / phase 2', 'raw baseline'], [
    ['idle CPU with the runs open, % of a core (subtracted above)', c.phases.map((p) => Object.entries(p.idleCpuPerSec).map(([g, v]) => `${g} ${fmt(v * 100, 1)}`).join(', ')).join(' / '), ''],
    ['workers CPU µs per job', c.perJobUs.workers.map((v) => fmt(v)).join(' / '), ''],
    ['PostgreSQL CPU µs per job', c.perJobUs.postgres.map((v) => fmt(v)).join(' / '), ''],
    ['Redis CPU µs per job', c.perJobUs.redis.map((v) => fmt(v)).join(' / '), `XADD ${fmt(c.redis.raw.xadd.cpuPerJobUs)}, LPUSH ${fmt(c.redis.raw.lpush.cpuPerJobUs)} (per payload)`],
    ['Redis commands per job (a script counts once)', c.redis.callsPerJob.map((v) => fmt(v, 1)).join(' / '), '1'],
    ['Redis network in / out bytes per point', c.redis.netInBytesPerPoint.map((v, i) => `${fmt(v, 1)} / ${fmt(c.redis.netOutBytesPerPoint[i], 1)}`).join(', '), ''],
    ['job payload bytes per point (base64 in JSON)', fmt(c.redis.payloadBytesPerPoint, 1), ''],
    ['Redis memory per point of the completed jobs kept, bytes', fmt(c.redis.memoryPerRetainedPoint, 1), `XADD ${fmt(c.redis.raw.xadd.memoryPerPoint, 1)}, LPUSH ${fmt(c.redis.raw.lpush.memoryPerPoint, 1)} (the payloads alone)`],
    ['SDK WAL bytes per point', fmt(c.sdk.walBytesPerPoint, 1), `JSON lines ${fmt(c.sdk.raw.bytesPerPoint, 1)}`],
    ['PostgreSQL WAL bytes per point', c.postgres.walBytesPerPoint.map((v) => fmt(v, 1)).join(' / '), `raw INSERT ${fmt(c.postgres.raw.walBytesPerPoint, 1)}`],
    ['PostgreSQL WAL fit: bytes per applied batch + per point', `${fmt(c.postgres.walFit.perUnit)} + ${fmt(c.postgres.walFit.perPoint, 1)}`, ''],
    ['PostgreSQL transactions per job (the coordinator\'s reads included)', c.postgres.commitsPerJob.map((v) => fmt(v, 2)).join(' / '), ''],
    ['history bytes per point on disk: as written / compacted + VACUUM FULL', `${fmt(c.postgres.bytesPerPointWritten, 1)} / ${fmt(c.postgres.bytesPerPointCompacted, 1)}`, 'a float64 and an int64: 16'],
  ]);
  const r = c.read;
  printTable('(e2) read path per 1,000,000 points: one metric read as a 1,000-bucket chart (GET /series), median of 10', ['path', 'wall ms', 'coordinator CPU ms', 'PostgreSQL CPU ms', 'client CPU ms'], [
    ['GET /series?buckets=1000 (coordinator reads chunks, decodes, buckets)', fmt(r.chart.wallMs, 1), fmt(r.chart.serverCpuMs, 1), fmt(r.chart.pgCpuMs, 1), fmt(r.chart.clientCpuMs, 1)],
    ['raw: SELECT the same chunk rows (pg client)', fmt(r.raw.wallMs, 1), '', fmt(r.raw.pgCpuMs, 1), fmt(r.raw.clientCpuMs, 1)],
  ]);
}

export async function benchStageCosts(tmp, jsonPath) {
  const costs = await measureStageCosts(join(tmp, 'stage-costs'));
  printStageCosts(costs);
  if (jsonPath) writeFileSync(jsonPath, `${JSON.stringify(costs, null, 2)}\n`);
  return costs;
}

// `node bench/stage-costs.mjs [--json FILE]` runs this part alone (after `npm run build`).
if (import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const at = process.argv.indexOf('--json');
  const tmp = mkdtempSync(join(tmpdir(), 'cohort-bench-stages-'));
  try {
    await benchStageCosts(tmp, at > 0 ? process.argv[at + 1] : undefined);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
