// npm run bench, part (c): the dashboard's read path. Query latency for one
// 1,000,000-step metric downsampled to 1,000 buckets (engine and HTTP), and a
// run page of 20 such metrics fully drawn in headless Chromium, each beside a
// raw baseline measured in the same run.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { Engine, downsample } from '@cohort/engine';
import { init } from '@cohort/sdk';
import { openSqliteStore } from '@cohort/store';
import { fmt, median, printTable, startServerProcess } from './lib.mjs';

const STEPS = Number(process.env.BENCH_QUERY_STEPS ?? 1_000_000);
const PAGE_KEYS = 20;
const BUCKETS = 1000;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const valueAt = (k, i) => Math.sin(i / 500 + k) + (i % 100_003 === 77 ? 50 : 0);

async function logRun(project, keys, dir) {
  const run = await init({ project, mode: 'online', dir, settings: { silent: true } });
  const names = Array.from({ length: keys }, (_, k) => `group_${k % 4}/metric_${k}`);
  const literal = new Function('i', 'v', `return { ${names.map((n, k) => `${JSON.stringify(n)}: v(${k}, i)`).join(', ')} };`);
  for (let i = 0; i < STEPS; i++) {
    run.log(literal(i, valueAt));
    if (i % 1000 === 999) await yieldTurn();
  }
  await run.finish();
  return { id: run.id, names };
}

async function timeIt(repeats, fn) {
  const times = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** Raw better-sqlite3: the same points as one row each, read back and bucketed in JS. */
function rawSqlite(tmp) {
  const db = new Database(join(tmp, 'raw-query.db'));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE points (step INTEGER PRIMARY KEY, value REAL)');
  const insert = db.prepare('INSERT INTO points VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 0; i < STEPS; i++) insert.run(i, valueAt(0, i));
  })();
  const select = db.prepare('SELECT step, value FROM points ORDER BY step').raw();
  const ms = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    const rows = select.all();
    const x = new Float64Array(rows.length);
    const y = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      x[i] = rows[i][0];
      y[i] = rows[i][1];
    }
    downsample(x, y, BUCKETS);
    ms.push(performance.now() - t0);
  }
  db.close();
  const x = Float64Array.from({ length: STEPS }, (_, i) => i);
  const y = Float64Array.from({ length: STEPS }, (_, i) => valueAt(0, i));
  const compute = median([0, 1, 2, 3, 4].map(() => {
    const t0 = performance.now();
    downsample(x, y, BUCKETS);
    return performance.now() - t0;
  }));
  return { sqlite: median(ms), compute };
}

async function browserPage(url, base) {
  if (!existsSync(CHROMIUM)) return undefined;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    const draw = [];
    const fetchOnly = [];
    for (let r = 0; r < 3; r++) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(url, { waitUntil: 'commit' });
      await page.waitForFunction(() => window.__cohort?.ready?.run === true, undefined, { timeout: 60_000, polling: 10 });
      // performance.now() in the page counts from the navigation's start.
      draw.push(await page.evaluate(() => performance.now()));
      const charts = await page.evaluate(() => Object.keys(window.__cohort.charts).length);
      if (charts !== PAGE_KEYS) throw new Error(`expected ${PAGE_KEYS} charts, got ${charts}`);
      fetchOnly.push(await page.evaluate(async (u) => {
        const t0 = performance.now();
        await (await fetch(u)).json();
        return performance.now() - t0;
      }, `${base}/series?buckets=${BUCKETS}&xAxis=_step`));
      await page.close();
    }
    return { draw: median(draw), fetchOnly: median(fetchOnly) };
  } finally {
    await browser.close();
  }
}

/** Runs part (c) of the benchmark in `tmp`. */
export async function benchQuery(tmp) {
  const server = await startServerProcess(join(tmp, 'query-server'));
  let one;
  let twenty;
  try {
    process.env.COHORT_URL = server.httpUrl;
    one = await logRun('bench-query', 1, join(tmp, 'query-one'));
    twenty = await logRun('bench-page', PAGE_KEYS, join(tmp, 'query-page'));
    const base1 = `${server.httpUrl}/api/v1/runs/local/bench-query/${one.id}`;
    const http = await timeIt(10, async () => {
      const body = await (await fetch(`${base1}/series?keys=${encodeURIComponent(one.names[0])}&buckets=${BUCKETS}`)).json();
      if (body.series[one.names[0]].x.length !== BUCKETS) throw new Error('expected 1000 buckets');
    });
    const engine = new Engine(openSqliteStore(join(tmp, 'query-server', 'cohort.db')));
    const key = { entity: 'local', project: 'bench-query', runId: one.id };
    const inProcess = await timeIt(10, () => engine.series(key, { keys: one.names, buckets: BUCKETS }));
    const readOnly = await timeIt(10, () => engine.history(key, { keys: one.names, samples: BUCKETS }));
    await engine.close();
    const raw = rawSqlite(tmp);
    printTable(`(c) query: one ${fmt(STEPS)}-step metric downsampled to ${fmt(BUCKETS)} buckets (min, max, last), median of 10`, ['path', 'ms', 'target'], [
      ['engine.series() in process (SQLite column chunks → buckets)', fmt(inProcess, 1), '< 50'],
      ['GET /series over HTTP, JSON parsed (server in its own process)', fmt(http, 1), '< 50'],
      ['engine.history({ samples: 1000 }) rows, for comparison', fmt(readOnly, 1), ''],
      ['raw better-sqlite3: SELECT 1M rows + the same bucketing', fmt(raw.sqlite, 1), ''],
      ['raw bucketing of in-memory Float64Arrays (compute floor)', fmt(raw.compute, 1), ''],
    ]);
    const page = await browserPage(`${server.httpUrl}/local/bench-page/runs/${twenty.id}`, `/api/v1/runs/local/bench-page/${twenty.id}`);
    if (!page) console.log(`\n(d) run page: skipped, no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
    else {
      printTable(`(d) run page of ${PAGE_KEYS} metrics × ${fmt(STEPS)} steps in headless Chromium (median of 3)`, ['path', 'ms', 'target'], [
        ['navigation → every chart drawn (uPlot, min–max bands)', fmt(page.draw), '< 1,500'],
        ['raw: fetch + JSON.parse of the same /series body, no drawing', fmt(page.fetchOnly), ''],
      ]);
    }
  } finally {
    await server.stop();
  }
}
