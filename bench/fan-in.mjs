// npm run bench, part (e): scaled-mode fan-in. 8, 64 and 256 simulated ranks
// log 20 scalar metrics per step to a scaled deployment in real processes
// (one coordinator, two workers, Redis, PostgreSQL). Each rank is a real SDK
// client (init() + log() + finish()); the ranks live in BENCH_FANIN_HOSTS (8)
// child processes, ranks/8 clients to an event loop (fan-in-rank.mjs), so 256
// ranks fit in memory and open quickly. Per rank count, two phases:
//   max   — the ranks log BENCH_FANIN_POINTS points in all (split evenly),
//           each as fast as it can; points/s committed = points / (go → the
//           last finish() returned, finish() resolving only once every
//           record is committed). The same work for every rank count.
//   half  — the same ranks paced at half the max phase's rate for
//           BENCH_FANIN_SECONDS.
//   target — paced at BENCH_FANIN_TARGET_LOAD (250,000 points/s in all:
//           half the 500,000 target) as long.
//   In the paced phases offered = points / (go → the last log()),
//           committed = points / (go → the last finish()). Latency from
//           log() to queryable: sampled ranks (the first 8) post a step's
//           wall time every 200 ms and the bench polls GET /api/v1/runs/...
//           until its lastStep reaches it (poll every BENCH_FANIN_POLL_MS,
//           50: up to 50 ms of a latency is the poll's, so it reads high,
//           never low). Every 20 ms was 400 requests/s for 8 ranks, about
//           500 µs of coordinator CPU each plus a PostgreSQL query: a quarter
//           of a core taken from the deployment it measures.
// Redis memory: used_memory sampled every 100 ms during the phase (max).
// Where the time goes (a second table): per phase, batches received and jobs
// completed per second, queue wait, engine apply per job, enqueue → completed
// and arrival → ack (from the processes' /metrics, histogram bucket bounds),
// and the CPU share of each process group (/proc). BENCH_FANIN_PROFILE=dir
// writes CPU profiles of the coordinators, workers and rank hosts; BENCH_FANIN_DEBUG=1
// prints the private servers' URLs (to watch pg_stat_activity meanwhile).
// Beside it, a raw baseline in the same run: ioredis pipelined LPUSH and XADD
// of the same rows (JSON, one entry per step, pipelines of 1000).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startProbe } from './fan-in-probe.mjs';
import { fmt, printTable, provideRedis, providePostgres, startCohortProcess } from './lib.mjs';

const KEYS = 20;
const RANKS = (process.env.BENCH_FANIN_RANKS ?? '8,64,256').split(',').map(Number);
/** Child processes that host the ranks (each runs ranks/HOSTS SDK clients in one event loop). */
const HOSTS = Number(process.env.BENCH_FANIN_HOSTS ?? 8);
const SECONDS = Number(process.env.BENCH_FANIN_SECONDS ?? 6);
const POINTS = Number(process.env.BENCH_FANIN_POINTS ?? 4_000_000);
const WORKERS = Number(process.env.BENCH_FANIN_WORKERS ?? 2);
/** Batch jobs each worker applies at once (`cohort worker --concurrency`). */
const CONCURRENCY = Number(process.env.BENCH_FANIN_CONCURRENCY ?? 8);
const COORDINATORS = Number(process.env.BENCH_FANIN_COORDINATORS ?? 1);
const SAMPLED = 8;
/** How often each sampled rank's poller asks whether its step is visible yet. */
const POLL_MS = Number(process.env.BENCH_FANIN_POLL_MS ?? 50);
/** The load of the third phase: half the 500,000 points/s target, where p99 must be under 1 s. */
const TARGET_LOAD = Number(process.env.BENCH_FANIN_TARGET_LOAD ?? 250_000);

function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Samples Redis used_memory every 100 ms until stopped; answers the max in bytes. */
function memorySampler(redis) {
  let max = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const info = await redis.info('memory');
      max = Math.max(max, Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0));
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    return max;
  };
}

/** The rank hosts: child processes, each running its share of the ranks as real SDK clients in one event loop. */
export class RankHosts {
  constructor(count, urls, dir) {
    const hosts = Math.min(count, HOSTS);
    this.hosts = Array.from({ length: hosts }, (_, h) => {
      const ranks = Array.from({ length: count }, (_, r) => r).filter((r) => r % hosts === h);
      const child = fork(new URL('./fan-in-rank.mjs', import.meta.url), [], {
        env: { ...process.env, COHORT_URL: urls[h % urls.length], COHORT_BENCH_DIR: dir, COHORT_BENCH_RANKS: ranks.join(','), COHORT_BENCH_KEYS: String(KEYS) },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        // BENCH_FANIN_PROFILE=dir: CPU profiles of the rank hosts too.
        execArgv: process.env.BENCH_FANIN_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_FANIN_PROFILE}`] : [],
      });
      child.on('error', (err) => console.error(`rank host ${h}:`, err));
      return child;
    });
  }
  get pids() {
    return this.hosts.map((c) => c.pid);
  }
  /** Sends `m` to every host and resolves with each one's first answer of `type` (other messages go to `onMessage`). */
  all(m, type, onMessage) {
    return Promise.all(
      this.hosts.map(
        (child, h) =>
          new Promise((resolve, reject) => {
            const on = (msg) => {
              if (msg.type === 'error') reject(new Error(`rank host ${h}: ${msg.message}`));
              else if (msg.type === type) {
                child.off('message', on);
                child.off('exit', onExit);
                resolve(msg);
              } else onMessage?.(msg);
            };
            const onExit = (code) => reject(new Error(`rank host ${h} exited (${code}) while waiting for ${type}`));
            child.on('message', on);
            child.once('exit', onExit);
            if (m) child.send(m);
          }),
      ),
    );
  }
  async close() {
    await Promise.all(
      this.hosts.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        // Profiled hosts exit on their own (a killed process writes no profile).
        if (process.env.BENCH_FANIN_PROFILE && child.connected) child.send({ type: 'exit' });
        else child.kill('SIGKILL');
        await exited;
      }),
    );
  }
}

async function runPhase(ranks, { project, steps = 0, stepsPerSec = 0, httpUrl, redis, probe }) {
  const sampled = Array.from({ length: SAMPLED }, (_, r) => r);
  const opened = await ranks.all({ type: 'open', project, steps, durationMs: SECONDS * 1000, stepsPerSec, sampled }, 'ready');
  const paths = new Map(opened.flatMap((m) => m.paths.map((p) => [p.rank, p.path])));
  const latencies = [];
  const pollers = [];
  // One poller per sampled rank: samples in order, each polled until visible.
  const pending = new Map(sampled.filter((r) => paths.has(r)).map((r) => [r, []]));
  let stopPolling = false;
  for (const [rank, queue] of pending) {
    pollers.push(
      (async () => {
        const url = `${httpUrl}/api/v1/runs/${paths.get(rank)}`;
        while (!stopPolling || queue.length > 0) {
          const next = queue[0];
          if (!next) {
            await new Promise((res) => setTimeout(res, POLL_MS));
            continue;
          }
          const body = await (await fetch(url)).json().catch(() => ({}));
          const last = body.lastStep ?? body.run?.lastStep ?? -1;
          const now = Date.now();
          while (queue.length > 0 && queue[0].step <= last) latencies.push(now - queue.shift().t);
          if (queue.length > 0) await new Promise((res) => setTimeout(res, POLL_MS));
        }
      })(),
    );
  }
  const stopMemory = memorySampler(redis);
  const stopProbe = await probe();
  const t0 = performance.now();
  const goAt = Date.now();
  const done = await ranks.all({ type: 'go' }, 'done', (msg) => {
    if (msg.type === 'sample') pending.get(msg.rank)?.push(msg);
  });
  const seconds = (performance.now() - t0) / 1000;
  const stages = await stopProbe();
  stopPolling = true;
  await Promise.all(pollers);
  const memory = await stopMemory();
  const points = done.reduce((n, d) => n + d.steps, 0) * KEYS;
  const offered = points / ((Math.max(...done.map((d) => d.loggedAt)) - goAt) / 1000);
  return { points, seconds, rate: points / seconds, offered, p50: percentile(latencies, 50), p99: percentile(latencies, 99), samples: latencies.length, memory, stages };
}

/** One line of where a phase's time went, for the stage table. */
function stageRow(count, phase, r) {
  const s = r.stages;
  const cpu = Object.entries(s.cpu).map(([name, share]) => `${name} ${fmt(share * 100)}%`).join(', ');
  return [
    `${count} ${phase}`,
    fmt(s.batchesPerSec),
    fmt(s.jobsPerSec),
    fmt(s.batchesPerJob, 1),
    `${fmt(s.waitP50)} / ${fmt(s.waitP99)}`,
    fmt(s.applyMeanMs, 1),
    `${fmt(s.jobP50)}`,
    `${fmt(s.ackP50)} / ${fmt(s.ackP99)}`,
    cpu,
  ];
}

/** Raw Redis: the same rows (JSON, one entry per step) pushed with pipelines of 1000. */
export async function rawRedis(redis, command) {
  const literal = new Function('i', `return { ${Array.from({ length: KEYS }, (_, k) => `metric_${k}: Math.sin(i + ${k}) * 100`).join(', ')} };`);
  const steps = 200_000;
  const key = `bench-raw-${randomBytes(4).toString('hex')}`;
  await redis.config('SET', 'maxmemory', '0');
  const before = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);
  const t0 = performance.now();
  for (let s = 0; s < steps; s += 1000) {
    const p = redis.pipeline();
    for (let i = s; i < s + 1000; i++) {
      const bytes = JSON.stringify({ _step: i, ...literal(i) });
      if (command === 'lpush') p.lpush(key, bytes);
      else p.xadd(key, '*', 'r', bytes);
    }
    await p.exec();
  }
  const seconds = (performance.now() - t0) / 1000;
  const after = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);
  await redis.del(key);
  return { rate: (steps * KEYS) / seconds, memory: after - before };
}

/**
 * Starts a scaled deployment in real processes: COORDINATORS coordinators
 * and WORKERS workers on `redisUrl` and `postgresUrl`, Redis keys under
 * `prefix`, coordinator data under `dir`. Started processes are pushed to
 * `processes` as they come up (a Ctrl-C handler stops them); `stop()` takes
 * them all down.
 */
export async function startDeployment({ redisUrl, postgresUrl, prefix, dir, processes = [] }) {
  const common = ['--redis', redisUrl, '--postgres', postgresUrl, '--prefix', prefix];
  // BENCH_FANIN_PROFILE=dir: CPU profiles of the coordinators, workers and rank hosts (written when they exit).
  const profile = process.env.BENCH_FANIN_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_FANIN_PROFILE}`] : [];
  const started = [];
  const stop = () => Promise.allSettled(started.map((p) => p.stop()));
  try {
    for (let i = 0; i < COORDINATORS; i++) started.push(await startCohortProcess('server', [...common, '--grpc-port', '0', '--http-port', '0', '--data', join(dir, `fan-in-${i}`)], {}, profile));
    for (let i = 0; i < WORKERS; i++) started.push(await startCohortProcess('worker', [...common, '--http-port', '0', '--concurrency', String(CONCURRENCY)], {}, profile));
  } catch (err) {
    await stop();
    throw err;
  } finally {
    processes.push(...started);
  }
  return { coordinators: started.slice(0, COORDINATORS), workers: started.slice(COORDINATORS), stop };
}

/**
 * `count` ranks on a running deployment ({@link startDeployment}): the max
 * phase, then one paced phase per `[name, points/s]` that `paced(max)`
 * answers. Resolves with each phase's figures by name (`max` too).
 */
export async function fanInPhases(count, { coordinators, workers }, { redis, redisPid, postgresPid, dir, paced }) {
  const ranks = new RankHosts(count, coordinators.map((c) => c.grpcAddress), dir);
  const probe = () =>
    startProbe({
      groups: {
        coordinator: coordinators.map((c) => c.pid),
        workers: workers.map((w) => w.pid),
        redis: [redisPid],
        ranks: ranks.pids,
        bench: [process.pid],
      },
      trees: { postgres: [postgresPid] },
      coordinatorUrls: coordinators.map((c) => c.httpUrl),
      workerUrls: workers.map((w) => w.httpUrl),
    });
  const httpUrl = coordinators[0].httpUrl;
  try {
    await ranks.all(null, 'loaded');
    const phases = { max: await runPhase(ranks, { project: `fan-in-${count}-max`, steps: Math.ceil(POINTS / KEYS / count), httpUrl, redis, probe }) };
    for (const [name, load] of paced(phases.max)) {
      phases[name] = await runPhase(ranks, { project: `fan-in-${count}-${name}`, stepsPerSec: load / KEYS / count, httpUrl, redis, probe });
    }
    return phases;
  } finally {
    await ranks.close();
  }
}

export async function benchFanIn(tmp) {
  const redisService = await provideRedis();
  // BENCH_FANIN_PG_STATS=1: pg_stat_statements in the private PostgreSQL, its top statements printed at the end.
  const pgStats = Boolean(process.env.BENCH_FANIN_PG_STATS);
  const pgService = await providePostgres(pgStats ? ['shared_preload_libraries=pg_stat_statements'] : []).catch(async (err) => {
    await redisService.stop();
    throw err;
  });
  const dbName = `bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgService.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(pgService.url);
  dbUrl.pathname = `/${dbName}`;
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  if (process.env.BENCH_FANIN_DEBUG) console.error(`fan-in: postgres ${dbUrl.href}, redis ${redisService.url}`);
  if (pgStats) await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  let pgTop = [];
  const redis = new Redis(redisService.url);
  const processes = [];
  const rows = [];
  const raw = [];
  const stages = [];
  // Ctrl-C: take the deployment and the private servers down too.
  const onSignal = () => {
    for (const p of processes) p.stop();
    void Promise.allSettled([pgService.stop(), redisService.stop()]).then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const deployment = await startDeployment({ redisUrl: redisService.url, postgresUrl: dbUrl.href, prefix, dir: tmp, processes });
    for (const count of RANKS) {
      try {
        const { max, half, target } = await fanInPhases(count, deployment, {
          redis,
          redisPid: redisService.pid,
          postgresPid: pgService.pid,
          dir: join(tmp, `fan-in-ranks-${count}`),
          paced: (m) => [
            ['half', m.rate / 2],
            ['target', TARGET_LOAD],
          ],
        });
        console.error(
          `fan-in: ${count} ranks: max ${fmt(max.rate)} points/s, half ${fmt(half.offered)} points/s offered, p50/p99 ${fmt(half.p50)}/${fmt(half.p99)} ms; ` +
            `${fmt(target.offered)} points/s offered, p50/p99 ${fmt(target.p50)}/${fmt(target.p99)} ms`,
        );
        rows.push([
          String(count),
          fmt(max.rate),
          `${fmt(max.p50)} / ${fmt(max.p99)}`,
          `${fmt(half.offered)} / ${fmt(half.rate)}`,
          `${fmt(half.p50)} / ${fmt(half.p99)} (${half.samples})`,
          `${fmt(target.offered)} / ${fmt(target.rate)}`,
          `${fmt(target.p50)} / ${fmt(target.p99)} (${target.samples})`,
          fmt(Math.max(max.memory, half.memory, target.memory) / 2 ** 20, 1),
        ]);
        stages.push(stageRow(count, 'max', max), stageRow(count, 'half', half), stageRow(count, 'target', target));
      } catch (err) {
        console.error(`fan-in: ${count} ranks failed:`, err);
        rows.push([String(count), `failed: ${String(err.message ?? err).slice(0, 80)}`, '', '', '', '', '', '']);
      }
    }
    for (const command of ['lpush', 'xadd']) raw.push([command, await rawRedis(redis, command)]);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await Promise.allSettled(processes.map((p) => p.stop()));
    redis.disconnect();
    if (pgStats) {
      const top = await admin.query(
        `SELECT calls, round(total_exec_time) AS ms, round((total_exec_time / calls)::numeric, 3) AS mean_ms, rows, regexp_replace(left(query, 110), '\\s+', ' ', 'g') AS query
         FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 14`,
      );
      pgTop = top.rows;
    }
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await pgService.stop();
    await redisService.stop();
  }
  printTable(
    `(e) scaled fan-in: ${COORDINATORS} coordinator(s) + ${WORKERS} workers (concurrency ${CONCURRENCY}), ${KEYS} scalar metrics per step; max: ${fmt(POINTS)} points as fast as the ranks can; ` +
      `half: paced at half the max for ${SECONDS} s; target: paced at ${fmt(TARGET_LOAD)} points/s (half the 500,000 target) for ${SECONDS} s; ` +
      `latency = log() → visible in GET /api/v1/runs (ms, sampled every 200 ms on 8 ranks, polled every ${POLL_MS} ms)`,
    [
      'ranks',
      'max: points/s committed',
      'max: p50 / p99 ms',
      'half: points/s offered / committed',
      'half: p50 / p99 ms (samples)',
      'target: points/s offered / committed',
      'target: p50 / p99 ms (samples)',
      'Redis used_memory high-water MiB',
    ],
    rows,
  );
  printTable(
    '(e) where the time goes, per phase: batches received and jobs completed per second, queue wait (worker took the job), mean engine apply per job, ' +
      'enqueue → job completed (coordinator), arrival → committed ack (coordinator), CPU share of each process group (100% = one core)',
    ['ranks phase', 'batches/s', 'jobs/s', 'batches/job', 'wait p50 / p99 ms', 'apply ms', 'job p50 ms', 'ack p50 / p99 ms', 'CPU'],
    stages,
  );
  if (pgStats) {
    printTable('(e) PostgreSQL statements by total time (pg_stat_statements, whole run)', ['calls', 'ms', 'mean ms', 'rows', 'query'], pgTop.map((r) => [fmt(Number(r.calls)), fmt(Number(r.ms)), String(r.mean_ms), fmt(Number(r.rows)), r.query.replaceAll('|', '/')]));
  }
  printTable('(e) raw Redis baseline, same run: the same rows as JSON, one entry per step, pipelines of 1000', ['command', 'points/s', 'Redis memory for 200k steps MiB'], [
    ...raw.map(([c, r]) => [`pipelined ${c.toUpperCase()}`, fmt(r.rate), fmt(r.memory / 2 ** 20, 1)]),
    ['target (scaled, 2 workers)', '≥ 500,000; p99 < 1 s at half load', ''],
  ]);
}

// `node bench/fan-in.mjs` runs this part alone (after `npm run build`).
if (import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const tmp = mkdtempSync(join(tmpdir(), 'cohort-bench-fan-in-'));
  try {
    await benchFanIn(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
