// npm run bench, part (e): scaled-mode fan-in. 8, 64 and 256 simulated ranks
// (worker threads, each a real SDK client: init() + log() + finish()) log 20
// scalar metrics per step to a scaled deployment in real processes (one
// coordinator, two workers, Redis, PostgreSQL). Per rank count, two phases:
//   max   — the ranks log BENCH_FANIN_POINTS points in all (split evenly),
//           each as fast as it can; points/s committed = points / (go → the
//           last finish() returned, finish() resolving only once every
//           record is committed). The same work for every rank count.
//   half  — the same ranks paced at half the max phase's rate for
//           BENCH_FANIN_SECONDS; latency from
//           log() to queryable: sampled ranks post a step's wall time every
//           200 ms and the bench polls GET /api/v1/runs/... until its
//           lastStep reaches it (poll every 20 ms: up to 20 ms is the poll's).
// Redis memory: used_memory sampled every 100 ms during the phase (max).
// Beside it, a raw baseline in the same run: ioredis pipelined LPUSH and XADD
// of the same rows (JSON, one entry per step, pipelines of 1000).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { Redis } from 'ioredis';
import pg from 'pg';
import { fmt, printTable, provideRedis, providePostgres, startCohortProcess } from './lib.mjs';

const KEYS = 20;
// 256 thread-hosted SDK clients need ~7 GB and minutes of start-up on a 2-core machine: opt in with BENCH_FANIN_RANKS=8,64,256.
const RANKS = (process.env.BENCH_FANIN_RANKS ?? '8,64').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_FANIN_SECONDS ?? 6);
const POINTS = Number(process.env.BENCH_FANIN_POINTS ?? 4_000_000);
const WORKERS = Number(process.env.BENCH_FANIN_WORKERS ?? 2);
const COORDINATORS = Number(process.env.BENCH_FANIN_COORDINATORS ?? 1);
const SAMPLED = 8;

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

class Ranks {
  constructor(count, urls, dir) {
    this.threads = Array.from({ length: count }, (_, rank) => {
      const w = new Worker(new URL('./fan-in-rank.mjs', import.meta.url), { workerData: { url: urls[rank % urls.length], dir, rank, keys: KEYS } });
      w.on('error', (err) => console.error(`rank ${rank}:`, err));
      return w;
    });
  }
  /** Sends `m` to rank `rank` and resolves with its first answer of `type` (other messages go to `onMessage`). */
  one(rank, m, type, onMessage) {
    const w = this.threads[rank];
    return new Promise((resolve, reject) => {
      const on = (msg) => {
        if (msg.type === 'error') reject(new Error(`rank ${rank}: ${msg.message}`));
        else if (msg.type === type) {
          w.off('message', on);
          resolve(msg);
        } else onMessage?.(rank, msg);
      };
      w.on('message', on);
      if (m) w.postMessage(typeof m === 'function' ? m(rank) : m);
    });
  }
  /** {@link one} for every rank at once. */
  all(m, type, onMessage) {
    return Promise.all(this.threads.map((_, rank) => this.one(rank, m, type, onMessage)));
  }
  /** {@link one} for every rank, `width` at a time (opening 256 runs at once on 2 cores starves the gRPC deadlines). */
  async chunked(width, m, type) {
    const out = [];
    for (let i = 0; i < this.threads.length; i += width) {
      const batch = this.threads.slice(i, i + width).map((_, j) => this.one(i + j, m, type));
      out.push(...(await Promise.all(batch)));
      if (process.env.BENCH_FANIN_DEBUG) console.error(`fan-in: opened ${out.length}/${this.threads.length} at ${new Date().toISOString()}`);
    }
    return out;
  }
  async close() {
    await Promise.all(this.threads.map((w) => w.terminate()));
  }
}

async function runPhase(ranks, { project, steps = 0, stepsPerSec = 0, httpUrl, redis }) {
  const opened = await ranks.chunked(16, (rank) => ({ type: 'open', project, steps, durationMs: SECONDS * 1000, stepsPerSec, sample: rank < SAMPLED }), 'ready');
  const paths = opened.map((m) => m.path);
  const latencies = [];
  const pollers = [];
  // One poller per sampled rank: samples in order, each polled until visible.
  const pending = paths.slice(0, SAMPLED).map(() => []);
  let stopPolling = false;
  for (let r = 0; r < Math.min(SAMPLED, paths.length); r++) {
    pollers.push(
      (async () => {
        const url = `${httpUrl}/api/v1/runs/${paths[r]}`;
        while (!stopPolling || pending[r].length > 0) {
          const next = pending[r][0];
          if (!next) {
            await new Promise((res) => setTimeout(res, 20));
            continue;
          }
          const body = await (await fetch(url)).json().catch(() => ({}));
          const last = body.lastStep ?? body.run?.lastStep ?? -1;
          const now = Date.now();
          while (pending[r].length > 0 && pending[r][0].step <= last) latencies.push(now - pending[r].shift().t);
          if (pending[r].length > 0) await new Promise((res) => setTimeout(res, 20));
        }
      })(),
    );
  }
  const stopMemory = memorySampler(redis);
  const t0 = performance.now();
  const done = await ranks.all({ type: 'go' }, 'done', (rank, msg) => {
    if (msg.type === 'sample') pending[rank].push(msg);
  });
  const seconds = (performance.now() - t0) / 1000;
  stopPolling = true;
  await Promise.all(pollers);
  const memory = await stopMemory();
  const points = done.reduce((n, d) => n + d.steps, 0) * KEYS;
  return { points, seconds, rate: points / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), samples: latencies.length, memory };
}

/** Raw Redis: the same rows (JSON, one entry per step) pushed with pipelines of 1000. */
async function rawRedis(redis, command) {
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

export async function benchFanIn(tmp) {
  const redisService = await provideRedis();
  const pgService = await providePostgres().catch(async (err) => {
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
  const redis = new Redis(redisService.url);
  const processes = [];
  const rows = [];
  const raw = [];
  // Ctrl-C: take the deployment and the private servers down too.
  const onSignal = () => {
    for (const p of processes) p.stop();
    void Promise.allSettled([pgService.stop(), redisService.stop()]).then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const common = ['--redis', redisService.url, '--postgres', dbUrl.href, '--prefix', prefix];
    for (let i = 0; i < COORDINATORS; i++) processes.push(await startCohortProcess('server', [...common, '--grpc-port', '0', '--http-port', '0', '--data', join(tmp, `fan-in-${i}`)]));
    for (let i = 0; i < WORKERS; i++) processes.push(await startCohortProcess('worker', [...common, '--http-port', '0', '--concurrency', '8']));
    const coordinators = processes.slice(0, COORDINATORS);
    for (const count of RANKS) {
      const ranks = new Ranks(count, coordinators.map((c) => c.grpcAddress), join(tmp, `fan-in-ranks-${count}`));
      try {
        await ranks.all(null, 'loaded');
        const max = await runPhase(ranks, { project: `fan-in-${count}-max`, steps: Math.ceil(POINTS / KEYS / count), httpUrl: coordinators[0].httpUrl, redis });
        const perRank = max.rate / 2 / KEYS / count;
        const half = await runPhase(ranks, { project: `fan-in-${count}-half`, stepsPerSec: perRank, httpUrl: coordinators[0].httpUrl, redis });
        console.error(`fan-in: ${count} ranks: max ${fmt(max.rate)} points/s, half ${fmt(half.rate)} points/s, p99 ${fmt(half.p99)} ms`);
        rows.push([
          String(count),
          fmt(max.rate),
          `${fmt(max.p50)} / ${fmt(max.p99)}`,
          fmt(half.rate),
          `${fmt(half.p50)} / ${fmt(half.p99)} (${half.samples})`,
          fmt(Math.max(max.memory, half.memory) / 2 ** 20, 1),
        ]);
      } catch (err) {
        console.error(`fan-in: ${count} ranks failed:`, err);
        rows.push([String(count), `failed: ${String(err.message ?? err).slice(0, 80)}`, '', '', '', '']);
      } finally {
        await ranks.close();
      }
    }
    for (const command of ['lpush', 'xadd']) raw.push([command, await rawRedis(redis, command)]);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await Promise.allSettled(processes.map((p) => p.stop()));
    redis.disconnect();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await pgService.stop();
    await redisService.stop();
  }
  printTable(
    `(e) scaled fan-in: ${COORDINATORS} coordinator(s) + ${WORKERS} workers (concurrency 8), ${KEYS} scalar metrics per step; max: ${fmt(POINTS)} points as fast as the ranks can, half: paced ${SECONDS} s; ` +
      'latency = log() → visible in GET /api/v1/runs (ms, sampled every 200 ms on 8 ranks)',
    ['ranks', 'max: points/s committed', 'max: p50 / p99 ms', 'half load: points/s', 'half: p50 / p99 ms (samples)', 'Redis used_memory high-water MiB'],
    rows,
  );
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
