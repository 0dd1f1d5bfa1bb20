// npm run bench, part (h): /api/v1/health latency while one client abuses the
// server (a coordinator in its own process): a run of 9,000 keys read with
// the default /series and whole /history in a loop, its project listed with
// config and summary, 32 live views of it, and a training loop logging 10,000
// rows of 100 keys per batch, beside the same health checks on the idle
// server measured in the same run (docs/SECURITY.md, "Streams").
// `node bench/abuse.mjs` runs it alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldTurn, setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { init } from '@cohort/sdk';
import { fmt, printTable, startServerProcess } from './lib.mjs';

const CHECKS = 200;

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

/** One abusive read, its body drained; a reset connection (keep-alive racing a busy server) is retried by the loop. */
async function read(url) {
  try {
    await (await fetch(url)).arrayBuffer();
  } catch {
    await sleep(10);
  }
}

function wide(keys, prefix, v) {
  return Object.fromEntries(Array.from({ length: keys }, (_, k) => [`${prefix}${k}`, v + k]));
}

export async function benchAbuse(tmp) {
  const server = await startServerProcess(join(tmp, 'abuse-server'));
  process.env.COHORT_URL = server.httpUrl;
  const stop = new AbortController();
  try {
    const big = await init({ project: 'abuse', id: 'wide', mode: 'online', dir: join(tmp, 'abuse-wide'), settings: { silent: true } });
    for (let step = 0; step < 20; step++) big.log(wide(9_000, 'k', step));
    await big.finish();
    const idle = await healthLatencies(server.httpUrl);

    const base = `${server.httpUrl}/api/v1/runs/local/abuse`;
    const loops = [
      (async () => {
        while (!stop.signal.aborted) await read(`${base}/wide/series`);
      })(),
      (async () => {
        while (!stop.signal.aborted) await read(`${base}/wide/history`);
      })(),
      (async () => {
        while (!stop.signal.aborted) await read(`${base}?fields=config,summary&limit=1000`);
      })(),
      (async () => {
        const train = await init({ project: 'abuse', id: 'train', mode: 'online', dir: join(tmp, 'abuse-train'), settings: { silent: true } });
        const row = wide(100, 'm', 0);
        for (let step = 0; !stop.signal.aborted; step++) {
          train.log(row);
          if (step % 10_000 === 9_999) await yieldTurn();
        }
        await train.finish();
      })(),
    ];
    const views = await Promise.all(Array.from({ length: 32 }, () => fetch(`${base}/wide/stream`, { signal: stop.signal }).catch(() => undefined)));
    await sleep(1000);
    const loaded = await healthLatencies(server.httpUrl);
    stop.abort();
    await Promise.allSettled(loops);
    for (const v of views) await v?.body?.cancel().catch(() => undefined);
    const alive = (await fetch(`${server.httpUrl}/api/v1/health`)).ok;
    printTable(`(h) GET /api/v1/health, ${CHECKS} checks 10 ms apart, coordinator in its own process (alive afterwards: ${alive})`, ['server', 'p50 ms', 'p99 ms', 'max ms', 'failed'], [
      ['idle (baseline)', fmt(percentile(idle, 50), 1), fmt(percentile(idle, 99), 1), fmt(Math.max(...idle), 1), idle.failed],
      ['one client: /series and /history of 9,000 keys, listing with config and summary, 32 live views, 10,000-row batches', fmt(percentile(loaded, 50), 1), fmt(percentile(loaded, 99), 1), fmt(Math.max(...loaded), 1), loaded.failed],
    ]);
  } finally {
    stop.abort();
    delete process.env.COHORT_URL;
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const tmp = mkdtempSync(join(tmpdir(), 'cohort-bench-abuse-'));
  try {
    await benchAbuse(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
