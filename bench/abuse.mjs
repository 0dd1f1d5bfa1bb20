// npm run bench, part (h): /api/v1/health latency while one client abuses the
// server, beside the same health checks on the idle server measured in the
// same run (docs/SECURITY.md, "Streams"). The coordinator and the abusive
// client each run in a process of their own, so the figures are the server's:
// the client reads a run of 9,000 keys with the default /series and the whole
// /history in a loop, lists its project with config and summary, holds 32 live
// views of it, and logs 10,000 rows of 100 keys at a time into another run.
// `node bench/abuse.mjs` runs it alone.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldTurn, setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { init } from '@cohort/sdk';
import { fmt, printTable, startServerProcess } from './lib.mjs';

const CHECKS = 200;
const SELF = fileURLToPath(import.meta.url);

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Latencies of `CHECKS` health checks; a failed one (a reset connection) is counted, and timed like the others. */
async function healthLatencies(url) {
  const ms = [];
  let failed = 0;
  for (let i = 0; i < CHECKS; i++) {
    const t0 = performance.now();
    try {
      await (await fetch(`${url}/api/v1/health`)).json();
    } catch {
      failed++;
    }
    ms.push(performance.now() - t0);
    await sleep(10);
  }
  return Object.assign(ms, { failed });
}

function wide(keys, prefix, v) {
  return Object.fromEntries(Array.from({ length: keys }, (_, k) => [`${prefix}${k}`, v + k]));
}

/** One abusive read, its body drained; a reset connection is retried by the loop. */
async function read(url) {
  try {
    await (await fetch(url)).arrayBuffer();
  } catch {
    await sleep(10);
  }
}

/** The abusive client (a child process): runs until killed. */
async function abuse(httpUrl, dir) {
  const base = `${httpUrl}/api/v1/runs/local/abuse`;
  await Promise.all(Array.from({ length: 32 }, () => fetch(`${base}/wide/stream`).catch(() => undefined)));
  const loop = async (url) => {
    for (;;) await read(url);
  };
  void loop(`${base}/wide/series`);
  void loop(`${base}/wide/history`);
  void loop(`${base}?fields=config,summary&limit=1000`);
  process.env.COHORT_URL = httpUrl;
  const train = await init({ project: 'abuse', id: 'train', mode: 'online', dir, settings: { silent: true } });
  const row = wide(100, 'm', 0);
  for (let step = 0; ; step++) {
    train.log(row);
    if (step % 10_000 === 9_999) await yieldTurn();
  }
}

export async function benchAbuse(tmp) {
  const server = await startServerProcess(join(tmp, 'abuse-server'));
  let abuser;
  try {
    process.env.COHORT_URL = server.httpUrl;
    const big = await init({ project: 'abuse', id: 'wide', mode: 'online', dir: join(tmp, 'abuse-wide'), settings: { silent: true } });
    for (let step = 0; step < 20; step++) big.log(wide(9_000, 'k', step));
    await big.finish();
    delete process.env.COHORT_URL;
    const idle = await healthLatencies(server.httpUrl);
    abuser = spawn(process.execPath, [SELF], { stdio: 'ignore', env: { ...process.env, ABUSE_URL: server.httpUrl, ABUSE_DIR: join(tmp, 'abuse-train') } });
    await sleep(2000);
    const loaded = await healthLatencies(server.httpUrl);
    const alive = (await fetch(`${server.httpUrl}/api/v1/health`)).ok;
    printTable(`(h) GET /api/v1/health, ${CHECKS} checks 10 ms apart; coordinator and abusive client in processes of their own (alive afterwards: ${alive})`, ['server', 'p50 ms', 'p99 ms', 'max ms', 'failed'], [
      ['idle (baseline)', fmt(percentile(idle, 50), 1), fmt(percentile(idle, 99), 1), fmt(Math.max(...idle), 1), idle.failed],
      ['one client: /series and /history of 9,000 keys, listing with config and summary, 32 live views, 10,000-row batches', fmt(percentile(loaded, 50), 1), fmt(percentile(loaded, 99), 1), fmt(Math.max(...loaded), 1), loaded.failed],
    ]);
  } finally {
    delete process.env.COHORT_URL;
    if (abuser && abuser.exitCode === null) {
      abuser.kill('SIGKILL');
      await once(abuser, 'exit');
    }
    await server.stop();
  }
}

if (process.env.ABUSE_URL) {
  await abuse(process.env.ABUSE_URL, process.env.ABUSE_DIR);
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const tmp = mkdtempSync(join(tmpdir(), 'cohort-bench-abuse-'));
  try {
    await benchAbuse(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
