#!/usr/bin/env node
// The soak (issue 7): `npm run soak [-- --minutes N]`, not part of vitest.
//
// A scaled deployment of real processes, on a private Redis and PostgreSQL
// (or REDIS_URL / DATABASE_URL) with a random queue prefix and a database of
// its own: 2 coordinators, each behind a TCP proxy, 2 workers, and 64 ranks
// (8 rank-host processes x 8 SDK runs, each in a worker thread) logging 20
// metrics per step. While they log, at random: a worker is killed (kill -9 or
// SIGTERM, alternately) and restarted; a proxy cuts every connection it
// carries (the ranks' gRPC channels die and reconnect); coordinator 1 is
// restarted (its ranks move to coordinator 0 meanwhile). Every few seconds it
// samples the RSS of every process (and Redis's INFO memory).
//
// Then the ranks finish, and it checks: every run is finished and reads back
// row by row exactly as logged (steps 0..n-1 once each, every value), with
// the SDK's summary; and no process that lived through both windows grew its
// median RSS by more than --max-growth (25 %) from the first window after the
// warm-up to the last. Prints a table; exits 1 on any failure.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, isDeepStrictEqual } from 'node:util';
import { Redis } from 'ioredis';
import { Api } from '@cohort/sdk';
import { portOf, rssOf, spawnCohort, spawnRankHost, startTcpProxy } from './soak/processes.mjs';
import { METRICS, soakRow } from './soak/rows.mjs';
import { loadHarness } from './soak/services.mjs';

const { values: flags } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    ranks: { type: 'string', default: '64' },
    hosts: { type: 'string', default: '8' },
    'step-ms': { type: 'string', default: '100' },
    'sample-ms': { type: 'string', default: '3000' },
    'max-growth': { type: 'string', default: '25' },
  },
});
const number = (name, min, max) => {
  const n = Number(flags[name]);
  if (!Number.isFinite(n) || n < min || n > max) {
    process.stderr.write(`soak: expected --${name} to be a number from ${min} to ${max}, got ${JSON.stringify(flags[name])}\n`);
    process.exit(2);
  }
  return n;
};
const minutes = number('minutes', 0.5, 120);
const ranks = number('ranks', 1, 512);
const hosts = number('hosts', 1, 64);
const stepMs = number('step-ms', 5, 10_000);
const sampleMs = number('sample-ms', 500, 60_000);
const maxGrowth = number('max-growth', 1, 1000);

const durationMs = minutes * 60_000;
const started = Date.now();
const elapsed = () => Date.now() - started;
const clock = () => {
  const s = Math.floor(elapsed() / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};
const say = (line) => process.stderr.write(`[soak ${clock()}] ${line}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const between = (lo, hi) => lo + Math.random() * (hi - lo);

const cleanups = [];
/** What went wrong in the chaos loops (a process that would not restart). */
const chaosErrors = [];
let failed = false;
// Ctrl-C still stops every process this script started.
process.once('SIGINT', () => {
  chaosErrors.push('interrupted');
  void runCleanups().then(() => process.exit(130));
});
try {
  await main();
} catch (err) {
  failed = true;
  process.stderr.write(`soak: ${err?.stack ?? err}\n`);
} finally {
  await runCleanups();
}
process.exit(failed ? 1 : 0);

async function runCleanups() {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((err) => process.stderr.write(`soak cleanup: ${err}\n`));
}

/** Runs one chaos loop; a failure (a process that would not restart) is recorded, not thrown. */
function chaosLoop(name, loop) {
  return loop().catch((err) => {
    chaosErrors.push(`${name}: ${err?.message ?? err}`);
    say(`${name} stopped: ${err?.message ?? err}`);
  });
}

async function main() {
  const harness = await loadHarness();
  const redis = await harness.provideRedis();
  cleanups.push(() => redis.stop());
  const postgres = await harness.providePostgres();
  cleanups.push(() => postgres.stop());
  const db = await harness.createTestDatabase(postgres.url);
  cleanups.push(() => db.drop());
  const prefix = `soak-${randomUUID()}`;
  const work = mkdtempSync(join(tmpdir(), 'cohort-soak-'));
  cleanups.push(async () => rmSync(work, { recursive: true, force: true }));
  say(`redis ${redis.source}, postgres ${postgres.source}, prefix ${prefix}; ${ranks} ranks on ${hosts} hosts for ${minutes} min`);

  const common = ['--redis', redis.url, '--postgres', db.url, '--prefix', prefix];
  const startCoordinator = () => spawnCohort('server', [...common, '--grpc-port', '0', '--http-port', '0', '--data', join(work, 'data'), '--lost-job-check-ms', '300']);
  const startWorker = () => spawnCohort('worker', [...common, '--http-port', '0', '--concurrency', '4', '--lock-duration-ms', '2000']);

  /** Slots: the process now in each (a restart puts a new one in). */
  const slots = new Map();
  cleanups.push(() => Promise.allSettled([...slots.values()].map((p) => p.stop())));
  const [c0, c1, w0, w1] = await Promise.all([startCoordinator(), startCoordinator(), startWorker(), startWorker()]);
  slots.set('coordinator-0', c0).set('coordinator-1', c1).set('worker-0', w0).set('worker-1', w1);
  const proxies = [await startTcpProxy(portOf(c0.grpcAddress)), await startTcpProxy(portOf(c1.grpcAddress))];
  cleanups.push(() => Promise.allSettled(proxies.map((p) => p.close())));

  // Ranks: host h runs ranks h, h + hosts, ...; even hosts dial coordinator 0's proxy, odd ones coordinator 1's.
  const group = `soak-${randomUUID().slice(0, 8)}`;
  const rankHosts = await Promise.all(
    Array.from({ length: hosts }, (_, h) =>
      spawnRankHost({
        url: proxies[h % 2].address,
        dir: join(work, `host-${h}`),
        project: 'soak',
        group,
        worldSize: ranks,
        stepMs,
        ranks: Array.from({ length: ranks }, (_, r) => r).filter((r) => r % hosts === h),
      }),
    ),
  );
  rankHosts.forEach((host, h) => slots.set(`rank-host-${h}`, host));
  say(`logging: coordinators ${c0.pid}, ${c1.pid}; workers ${w0.pid}, ${w1.pid}; rank hosts ${rankHosts.map((p) => p.pid).join(', ')}`);

  // RSS samples of every slot's current process, and Redis's own figure.
  const samples = [];
  const redisClient = new Redis(redis.url, { maxRetriesPerRequest: 1, lazyConnect: true });
  cleanups.push(async () => redisClient.disconnect());
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const t = elapsed();
      for (const [name, proc] of slots) {
        const rss = rssOf(proc.pid);
        if (rss !== undefined) samples.push({ t, name, pid: proc.pid, rss });
      }
      try {
        const info = await redisClient.info('memory');
        const rss = Number(/^used_memory_rss:(\d+)/m.exec(info)?.[1]);
        if (Number.isFinite(rss)) samples.push({ t, name: 'redis (INFO)', pid: 'redis', rss });
      } catch {
        // Redis busy or restarting: this sample goes without it.
      }
      await sleep(sampleMs);
    }
  })();

  // Chaos, until the time is up (a pause ends early then).
  let chaos = true;
  let endChaos;
  const chaosEnded = new Promise((r) => (endChaos = r));
  const pause = (ms) => Promise.race([sleep(ms), chaosEnded]);
  const counts = { workerKill9: 0, workerTerm: 0, proxyCuts: 0, coordinatorRestarts: 0 };
  const workerChaos = chaosLoop('worker chaos', async () => {
    let n = 0;
    for (await pause(between(5_000, 10_000)); chaos; await pause(between(8_000, 20_000))) {
      const name = `worker-${n % 2}`;
      const proc = slots.get(name);
      const hard = n % 2 === 0;
      say(`${name} ${hard ? 'kill -9' : 'SIGTERM'} (pid ${proc.pid})`);
      await (hard ? proc.kill9() : proc.stop());
      counts[hard ? 'workerKill9' : 'workerTerm']++;
      await sleep(between(500, 2_000));
      slots.set(name, await startWorker());
      n++;
    }
  });
  const proxyChaos = chaosLoop('proxy chaos', async () => {
    for (await pause(between(3_000, 8_000)); chaos; await pause(between(5_000, 12_000))) {
      const i = Math.random() < 0.5 ? 0 : 1;
      say(`proxy ${i} cut: its ranks' gRPC channels die and reconnect`);
      proxies[i].cut();
      counts.proxyCuts++;
    }
  });
  const coordinatorChaos = chaosLoop('coordinator chaos', async () => {
    let n = 0;
    for (await pause(between(20_000, 35_000)); chaos; await pause(between(30_000, 45_000))) {
      const old = slots.get('coordinator-1');
      const hard = n % 2 === 1;
      // A load balancer's view: coordinator 1's ranks go to coordinator 0 while it restarts.
      proxies[1].setTarget(portOf(slots.get('coordinator-0').grpcAddress));
      say(`coordinator-1 ${hard ? 'kill -9' : 'SIGTERM'} (pid ${old.pid}); its ranks go to coordinator-0`);
      await (hard ? old.kill9() : old.stop());
      proxies[1].cut();
      const fresh = await startCoordinator();
      slots.set('coordinator-1', fresh);
      proxies[1].setTarget(portOf(fresh.grpcAddress));
      proxies[1].cut();
      counts.coordinatorRestarts++;
      say(`coordinator-1 back (pid ${fresh.pid})`);
      n++;
    }
  });

  await sleep(durationMs);
  chaos = false;
  endChaos();
  await Promise.all([workerChaos, proxyChaos, coordinatorChaos]);
  sampling = false;
  await sampler;
  say(`time is up (${JSON.stringify(counts)}); the ranks finish`);

  for (const host of rankHosts) host.finishLogging();
  const reports = (await withTimeout(Promise.all(rankHosts.map((h) => h.results)), 240_000, 'the ranks to finish')).flat();
  const errors = reports.filter((r) => r.error);
  const runs = reports.filter((r) => r.path);
  say(`${runs.length} runs finished, ${errors.length} failed; reading them back`);

  const problems = [...chaosErrors, ...errors.map((r) => `rank ${r.rank ?? '?'}: ${r.error.split('\n')[0]}`)];
  if (runs.length !== ranks) problems.push(`expected ${ranks} finished runs, got ${runs.length}`);
  const api = new Api({ baseUrl: slots.get('coordinator-0').httpUrl, timeoutMs: 60_000 });
  let rows = 0;
  for (const run of runs) {
    const mismatch = await checkRun(api, run);
    rows += run.steps;
    if (mismatch) problems.push(`${run.path}: ${mismatch}`);
  }

  const memory = memoryTable(samples);
  printReport({ counts, runs: runs.length, rows, memory, problems });
  const grown = memory.filter((m) => m.verdict === 'GREW');
  if (problems.length > 0 || grown.length > 0) failed = true;
}

/** Compares one run with what its rank logged; a description of the first difference, or undefined. */
async function checkRun(api, run) {
  const back = await api.run(run.path);
  if (back.state !== 'finished') return `state ${back.state}, expected finished`;
  let step = 0;
  for await (const row of back.scanHistory({ pageSize: 1000 })) {
    if (row._step !== step) return `row ${step}: _step ${row._step} (a row lost or doubled)`;
    const want = soakRow(run.rank, step);
    for (const [k, v] of Object.entries(want)) if (row[k] !== v) return `step ${step}: ${k} is ${row[k]}, logged ${v}`;
    step++;
  }
  if (step !== run.steps) return `${step} rows read back, ${run.steps} logged`;
  if (!isDeepStrictEqual(back.summary, run.summary)) return `summary ${JSON.stringify(back.summary).slice(0, 300)} differs from the SDK's ${JSON.stringify(run.summary).slice(0, 300)}`;
  return undefined;
}

/**
 * Per process slot: the median RSS in the first window after the warm-up
 * and in the last window (each up to a minute), and the growth. Judged only
 * when one process lived through both. The warm-up is 75 s where the run
 * allows (60 % of it otherwise; at least 20 % and 20 s): BullMQ keeps
 * completed jobs for 60 s (KEEP_COMPLETED of batch-producer.ts), so Redis
 * fills up to its steady state over the first minute.
 */
function memoryTable(samples) {
  const end = Math.max(...samples.map((s) => s.t));
  const warmup = Math.max(20_000, 0.2 * end, Math.min(75_000, 0.6 * end));
  const span = Math.min(60_000, (end - warmup) / 2);
  const first = [warmup, warmup + span];
  const last = [end - span, end + 1];
  const names = [...new Set(samples.map((s) => s.name))];
  return names.map((name) => {
    const of = samples.filter((s) => s.name === name);
    const inFirst = of.filter((s) => s.t >= first[0] && s.t < first[1]);
    const inLast = of.filter((s) => s.t >= last[0] && s.t < last[1]);
    const pids = new Set([...inFirst, ...inLast].map((s) => s.pid));
    const a = median(inFirst.map((s) => s.rss));
    const b = median(inLast.map((s) => s.rss));
    const growth = a && b ? ((b - a) / a) * 100 : undefined;
    const restarts = new Set(of.map((s) => s.pid)).size - 1;
    const judged = pids.size === 1 && growth !== undefined;
    const verdict = !judged ? `restarted ${restarts}x: not judged` : growth > maxGrowth ? 'GREW' : 'flat';
    return { name, first: a, last: b, growth, verdict };
  });
}

function median(xs) {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function printReport({ counts, runs, rows, memory, problems }) {
  const mb = (b) => (b === undefined ? '-' : (b / 2 ** 20).toFixed(1));
  const lines = [
    '',
    `soak: ${minutes} min, ${runs} runs, ${rows} rows (${rows * METRICS} points); worker kill -9 ${counts.workerKill9}, worker SIGTERM ${counts.workerTerm}, proxy cuts ${counts.proxyCuts}, coordinator restarts ${counts.coordinatorRestarts}`,
    '',
    '| process | first window median RSS (MiB) | last window median RSS (MiB) | growth | verdict |',
    '| --- | --- | --- | --- | --- |',
    ...memory.map((m) => `| ${m.name} | ${mb(m.first)} | ${mb(m.last)} | ${m.growth === undefined ? '-' : `${m.growth >= 0 ? '+' : ''}${m.growth.toFixed(1)} %`} | ${m.verdict} |`),
    '',
    problems.length === 0 ? `data: every run reads back exactly as logged (rows, values, summaries)` : `data: ${problems.length} problem(s):\n${problems.slice(0, 20).map((p) => `  - ${p}`).join('\n')}`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)))]).finally(() => clearTimeout(timer));
}
