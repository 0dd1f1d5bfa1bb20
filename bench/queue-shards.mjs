// npm run bench, part (o): the batch queue in shards on a local three-master
// Redis Cluster (issue 19). A Redis Cluster spreads the queue over its masters
// only if the queue is several queues in several hash slots (`--queue-shards`,
// docs/scaling.md "Hash tags"); this measures what that buys, 1 shard vs 3:
//   cohort — a scaled deployment in real processes (one `cohort server`, two
//            `cohort worker`s of concurrency 8, PostgreSQL) on the cluster,
//            SDK ranks in fan-in.mjs's rank hosts, 20-key rows. max:
//            BENCH_SHARDS_RANKS (16) ranks log BENCH_SHARDS_POINTS (800,000)
//            points as fast as they can. paced: BENCH_SHARDS_PACED_RANKS (64)
//            ranks at BENCH_SHARDS_PACED_STEPS (25) steps/s each, flushing
//            every 20 ms, for BENCH_SHARDS_SECONDS (8). Points/s committed
//            (go → the last finish() returned), batch jobs/s (the workers'
//            cohort_jobs_total{result="completed"}), and the jobs' mean size.
//   raw    — the baseline in the same run: BullMQ alone, BENCH_SHARDS_JOBS
//            (6,000; fewer past 256 MiB) jobs of the mean size of each cohort
//            phase's jobs, and of 1 KiB, added (256 in flight) to 1 or 3
//            queues on the shards' prefixes, and taken
//            by Workers of the same total concurrency (16, split over the
//            queues) that do nothing; jobs/s from the first add to the last
//            completion.
// Each path BENCH_SHARDS_REPEATS (2) times, 1 and 3 shards alternating; the
// median and the range. For each path: commands each master ran (INFO stats, total_commands_processed)
// and the CPU each master's process used (/proc), which show how the load spreads.
// Everything shares the machine: on a 2-core box the client processes, not
// Redis, are the bottleneck, so shards cannot add much here.
import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { queueConnection, queueShardPrefixes } from '@cohort/ops';
import { RankHosts } from './fan-in.mjs';
import { fmt, freePort, median, printTable, providePostgres, startCohortProcess, which } from './lib.mjs';

const RANKS = Number(process.env.BENCH_SHARDS_RANKS ?? 16);
const POINTS = Number(process.env.BENCH_SHARDS_POINTS ?? 800_000);
const PACED_RANKS = Number(process.env.BENCH_SHARDS_PACED_RANKS ?? 64);
const PACED_STEPS = Number(process.env.BENCH_SHARDS_PACED_STEPS ?? 25);
const PACED_SECONDS = Number(process.env.BENCH_SHARDS_SECONDS ?? 8);
const RAW_JOBS = Number(process.env.BENCH_SHARDS_JOBS ?? 6000);
/** Bytes one raw phase moves at most (fewer jobs when they are big). */
const RAW_BYTES = 256 * 1024 * 1024;
const WORKERS = 2;
const CONCURRENCY = 8;
/** The keys of a row fan-in.mjs's ranks log. */
const KEYS = 20;
const SHARD_COUNTS = [1, 3];
const REPEATS = Number(process.env.BENCH_SHARDS_REPEATS ?? 2);

/** Three masters, no replicas: `redis-server --cluster-enabled yes` on free ports, joined by `redis-cli --cluster create`. */
async function startCluster() {
  const server = which('redis-server');
  const cli = which('redis-cli');
  if (!server || !cli) throw new Error('The queue-shards bench needs redis-server and redis-cli (apt-get install -y redis-server redis-tools)');
  const dir = mkdtempSync(join(tmpdir(), 'cohort-bench-cluster-'));
  const children = [];
  const ports = [];
  const stop = async () => {
    await Promise.all(children.filter((c) => c.exitCode === null).map((c) => (c.kill('SIGTERM'), once(c, 'exit'))));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    while (ports.length < 3) {
      const port = await freePort();
      // The cluster bus listens on port + 10000.
      if (port > 55_535 || ports.some((p) => Math.abs(p - port) === 10_000 || p === port)) continue;
      ports.push(port);
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--save', '', '--appendonly', 'no', '--logfile', ''];
      children.push(spawn(server, args, { stdio: 'ignore' }));
    }
    // Retried every 50 ms until the server listens; commands wait meanwhile.
    const clients = ports.map((port) => new Redis({ port, host: '127.0.0.1', retryStrategy: () => 50, maxRetriesPerRequest: null }).on('error', () => undefined));
    await Promise.all(clients.map((c) => c.ping()));
    await promisify(execFile)(cli, ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: 60_000 });
    for (const c of clients) while (!(await c.cluster('INFO')).includes('cluster_state:ok')) await new Promise((r) => setTimeout(r, 100));
    const masters = await Promise.all(ports.map(async (port, i) => ({ port, pid: children[i].pid, client: clients[i] })));
    return { url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`, masters, stop: async () => (clients.forEach((c) => c.disconnect()), stop()) };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Commands run and CPU seconds used by each master since `start()`. */
async function masterLoad(masters) {
  const read = () =>
    Promise.all(
      masters.map(async (m) => {
        const stat = readFileSync(`/proc/${m.pid}/stat`, 'utf8').split(') ')[1].split(' ');
        return { commands: Number(/total_commands_processed:(\d+)/.exec(await m.client.info('stats'))[1]), cpu: (Number(stat[11]) + Number(stat[12])) / 100 };
      }),
    );
  const before = await read();
  return async () => (await read()).map((after, i) => ({ commands: after.commands - before[i].commands, cpu: after.cpu - before[i].cpu }));
}

/** `3,1,0 M cmds`: the share of each master. */
function split(load, seconds) {
  const total = load.reduce((n, m) => n + m.commands, 0);
  return {
    commands: load.map((m) => `${fmt((m.commands / total) * 100)}%`).join(' / '),
    cpu: load.map((m) => `${fmt((m.cpu / seconds) * 100)}%`).join(' / '),
  };
}

/** Sums `cohort_jobs_total{...result="completed"}` over the workers' /metrics. */
async function completedJobs(workers) {
  let n = 0;
  for (const w of workers) {
    const text = await (await fetch(`${w.httpUrl}/metrics`)).text();
    for (const m of text.matchAll(/^cohort_jobs_total\{[^}]*result="completed"[^}]*\} (\S+)$/gm)) n += Number(m[1]);
  }
  return n;
}

/**
 * The cohort phases of a deployment with `shards` queue shards: `max`, RANKS
 * ranks logging POINTS points as fast as they can (few, big jobs), and
 * `paced`, PACED_RANKS ranks at PACED_STEPS steps/s each, flushing every
 * 20 ms, for PACED_SECONDS (many small jobs: the regime where the queue's job
 * rate counts).
 */
async function cohortPhases(cluster, dbUrl, shards, dir) {
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const common = ['--redis', cluster.url, '--postgres', dbUrl, '--prefix', prefix, '--queue-shards', String(shards)];
  const started = [];
  try {
    started.push(await startCohortProcess('server', [...common, '--grpc-port', '0', '--http-port', '0', '--data', join(dir, `shards-${shards}`)]));
    for (let i = 0; i < WORKERS; i++) started.push(await startCohortProcess('worker', [...common, '--http-port', '0', '--concurrency', String(CONCURRENCY)]));
    const [server, ...workers] = started;
    const phase = async (name, count, open) => {
      const ranks = new RankHosts(count, [server.grpcAddress], dir);
      try {
        await ranks.all(null, 'loaded');
        await ranks.all({ type: 'open', project: `shards-${shards}-${name}`, sampled: [], ...open }, 'ready');
        const jobs0 = await completedJobs(workers);
        const load = await masterLoad(cluster.masters);
        const t0 = performance.now();
        const since = Date.now();
        const done = await ranks.all({ type: 'go' }, 'done');
        const seconds = (performance.now() - t0) / 1000;
        const perMaster = await load();
        const jobs = (await completedJobs(workers)) - jobs0;
        const points = done.reduce((n, d) => n + d.steps, 0) * KEYS;
        return { rate: points / seconds, jobsPerSec: jobs / seconds, seconds, perMaster, jobBytes: await meanJobBytes(cluster.url, prefix, shards, since) };
      } finally {
        await ranks.close();
      }
    };
    const max = await phase('max', RANKS, { steps: Math.ceil(POINTS / KEYS / RANKS), durationMs: 0, stepsPerSec: 0 });
    process.env.BENCH_FANIN_FLUSH_MS = '20';
    try {
      return { max, paced: await phase('paced', PACED_RANKS, { steps: 0, durationMs: PACED_SECONDS * 1000, stepsPerSec: PACED_STEPS }) };
    } finally {
      delete process.env.BENCH_FANIN_FLUSH_MS;
    }
  } finally {
    await Promise.allSettled(started.map((p) => p.stop()));
  }
}

/** The mean size of the data of the jobs completed since `since` still kept on the shards (BullMQ keeps the last 1000 a minute). */
async function meanJobBytes(url, prefix, shards, since) {
  const connection = queueConnection(url, 'fail-fast');
  const sizes = [];
  for (const p of queueShardPrefixes(url, prefix, shards)) {
    const queue = new Queue('batches', { prefix: p, connection: connection.connection });
    for (const job of await queue.getCompleted(0, 199)) if (job.timestamp >= since) sizes.push(JSON.stringify(job.data).length);
    await queue.close();
  }
  await connection.close();
  return sizes.length > 0 ? sizes.reduce((a, b) => a + b, 0) / sizes.length : 0;
}

/** One raw phase: RAW_JOBS jobs of `bytes` on `shards` BullMQ queues, taken by no-op Workers of CONCURRENCY × WORKERS in all. */
async function rawPhase(cluster, shards, bytes) {
  const jobs = Math.min(RAW_JOBS, Math.ceil(RAW_BYTES / bytes));
  const prefixes = queueShardPrefixes(cluster.url, `raw-${randomBytes(4).toString('hex')}`, shards);
  const producing = queueConnection(cluster.url, 'fail-fast');
  const connections = [producing];
  const queues = prefixes.map((prefix) => new Queue('batches', { prefix, connection: producing.connection }));
  let completed = 0;
  let allDone;
  const finished = new Promise((resolve) => (allDone = resolve));
  const workers = prefixes.flatMap((prefix, i) =>
    Array.from({ length: WORKERS }, () => {
      const blocking = queueConnection(cluster.url, 'blocking');
      connections.push(blocking);
      const concurrency = Math.max(1, Math.floor(CONCURRENCY / shards) + (i < CONCURRENCY % shards ? 1 : 0));
      const worker = new Worker('batches', async () => ({ results: [] }), { prefix, connection: blocking.connection, concurrency });
      worker.on('completed', () => ++completed === jobs && allDone());
      return worker;
    }),
  );
  await Promise.all([...queues, ...workers].map((q) => q.waitUntilReady()));
  const payload = 'x'.repeat(Math.max(1, Math.round(bytes)));
  const load = await masterLoad(cluster.masters);
  const t0 = performance.now();
  let next = 0;
  // 256 adds in flight, as many coordinator streams would keep.
  await Promise.all(
    Array.from({ length: 256 }, async () => {
      while (next < jobs) {
        const n = next++;
        await queues[n % shards].add('batch', { payload }, { removeOnComplete: { age: 60, count: 1000 } });
      }
    }),
  );
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  const perMaster = await load();
  await Promise.all(workers.map((w) => w.close()));
  await Promise.all(queues.map((q) => q.obliterate({ force: true }).then(() => q.close())));
  await Promise.all(connections.map((c) => c.close()));
  return { jobsPerSec: jobs / seconds, jobs, seconds, perMaster };
}

/** 1 then 3 shards in even repeats, 3 then 1 in odd ones, so drift in the machine's load falls on both alike. */
function order(rep) {
  return rep % 2 === 0 ? SHARD_COUNTS : [...SHARD_COUNTS].reverse();
}

/** A row of the table from the repeats of one path: the median rate (and the range), load per master summed over the repeats. */
function row(path, results, base, key) {
  // Busiest master first in each repeat (a fresh prefix may hash to another master each time).
  const busiestFirst = results.map((r) => [...r.perMaster].sort((a, b) => b.commands - a.commands));
  const perMaster = busiestFirst[0].map((_, i) => ({
    commands: busiestFirst.reduce((n, m) => n + m[i].commands, 0),
    cpu: busiestFirst.reduce((n, m) => n + m[i].cpu, 0),
  }));
  const s = split(perMaster, results.reduce((n, r) => n + r.seconds, 0));
  const values = results.map((r) => r[key]);
  const range = values.length > 1 ? ` (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})` : '';
  const rate = `${fmt(median(values))}${range}`;
  return [path, key === 'rate' ? rate : '', key === 'rate' ? fmt(median(results.map((r) => r.jobsPerSec)), 1) : rate, `${fmt((median(values) / base) * 100)}%`, s.commands, s.cpu];
}

export async function benchQueueShards(tmp) {
  const dir = mkdtempSync(join(tmp, 'shards-'));
  const cluster = await startCluster();
  let pgService;
  try {
    pgService = await providePostgres();
    const admin = new pg.Client({ connectionString: pgService.url });
    await admin.connect();
    const cohort = Object.fromEntries(SHARD_COUNTS.map((n) => [n, []]));
    for (let rep = 0; rep < REPEATS; rep++) {
      for (const shards of order(rep)) {
        const dbName = `bench_shards_${randomBytes(4).toString('hex')}`;
        await admin.query(`CREATE DATABASE ${dbName}`);
        const dbUrl = new URL(pgService.url);
        dbUrl.pathname = `/${dbName}`;
        cohort[shards].push(await cohortPhases(cluster, dbUrl.href, shards, dir));
      }
    }
    await admin.end();
    const rows = [];
    const phases = ['max', 'paced'];
    const of = (shards, name) => cohort[shards].map((r) => r[name]);
    for (const name of phases) {
      const base = median(of(1, name).map((r) => r.rate));
      for (const shards of SHARD_COUNTS) {
        const bytes = median(of(shards, name).map((r) => r.jobBytes));
        rows.push(row(`cohort ${name}, ${shards} shard${shards > 1 ? 's' : ''} (jobs ${fmt(bytes / 1024, 1)} KiB)`, of(shards, name), base, 'rate'));
      }
    }
    // The baseline at the sizes of the cohort jobs of each phase, and at 1 KiB, where the job rate, not the bytes, costs most.
    const sizes = [...phases.map((name) => Math.max(1, median(SHARD_COUNTS.flatMap((n) => of(n, name).map((r) => r.jobBytes))))), 1024];
    for (const bytes of sizes) {
      const raw = Object.fromEntries(SHARD_COUNTS.map((n) => [n, []]));
      for (let rep = 0; rep < REPEATS; rep++) for (const shards of order(rep)) raw[shards].push(await rawPhase(cluster, shards, bytes));
      const base = median(raw[1].map((r) => r.jobsPerSec));
      for (const shards of SHARD_COUNTS) rows.push(row(`raw BullMQ, ${shards} queue${shards > 1 ? 's' : ''}, ${fmt(raw[shards][0].jobs)} jobs of ${fmt(bytes / 1024, 1)} KiB`, raw[shards], base, 'jobsPerSec'));
    }
    printTable(
      `(o) the batch queue in shards on a local 3-master Redis Cluster (median of ${REPEATS}, range): max = ${RANKS} ranks logging ${fmt(POINTS)} points of ${KEYS}-key rows at full speed; paced = ${PACED_RANKS} ranks × ${PACED_STEPS} steps/s for ${PACED_SECONDS} s; raw = BullMQ alone in this process, jobs of the cohort jobs' median size, ${WORKERS * CONCURRENCY} at once. Per master: share of the commands, CPU as a share of one core`,
      ['path', 'points/s committed', 'jobs/s', 'vs 1 shard', 'commands per master, busiest first', 'CPU per master'],
      rows,
    );
  } finally {
    await pgService?.stop();
    await cluster.stop();
  }
}

if (import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const tmp = mkdtempSync(join(tmpdir(), 'cohort-bench-'));
  try {
    await benchQueueShards(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
