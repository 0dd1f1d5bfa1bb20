// The project workspace (issue 17) in headless Chromium: RUNS runs × KEYS
// metrics × STEPS steps drawn one chart per key with a line per run, beside
// the raw fetch + JSON.parse of the same /api/v1/series bodies in the same
// page, and the time a hover and a run's toggle take over every chart.
//   node bench/workspace.mjs            (the issue's 100 × 20 × 100,000; long to seed)
//   BENCH_WS_RUNS=20 BENCH_WS_KEYS=5 BENCH_WS_STEPS=5000 node bench/workspace.mjs
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { init } from '@cohort/sdk';
import { fmt, median, printTable, startServerProcess } from './lib.mjs';

const RUNS = Number(process.env.BENCH_WS_RUNS ?? 100);
const KEYS = Number(process.env.BENCH_WS_KEYS ?? 20);
const STEPS = Number(process.env.BENCH_WS_STEPS ?? 100_000);
const BUCKETS = 500;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

async function seed(project, dir) {
  const names = Array.from({ length: KEYS }, (_, k) => `group_${k % 4}/metric_${k}`);
  const literal = new Function('i', 'r', `return { ${names.map((n, k) => `${JSON.stringify(n)}: Math.sin(i / 500 + ${k}) + r / 10`).join(', ')} };`);
  const ids = [];
  for (let r = 0; r < RUNS; r++) {
    const run = await init({ project, mode: 'online', dir: join(dir, String(r)), settings: { silent: true, systemMetricsSeconds: 0, console: 'off' } });
    for (let i = 0; i < STEPS; i++) {
      run.log(literal(i, r));
      if (i % 1000 === 999) await yieldTurn();
    }
    await run.finish();
    ids.push(run.id);
  }
  return { ids, names };
}

async function measure(httpUrl, project, ids, names) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    const draw = [];
    const raw = [];
    const hover = [];
    const toggle = [];
    for (let r = 0; r < 3; r++) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(`${httpUrl}/local/${project}/workspace?runs=${ids.join(',')}`, { waitUntil: 'commit' });
      await page.waitForFunction(() => window.__cohort?.ready?.workspace === true, undefined, { timeout: 600_000, polling: 10 });
      draw.push(await page.evaluate(() => performance.now()));
      const charts = await page.evaluate(() => Object.keys(window.__cohort.charts).length);
      if (charts !== KEYS) throw new Error(`expected ${KEYS} charts, got ${charts}`);
      raw.push(await page.evaluate(async ({ project, ids, names, buckets }) => {
        const t0 = performance.now();
        let next = 0;
        const worker = async () => {
          while (next < names.length) {
            const key = names[next++];
            await (await fetch(`/api/v1/series/local/${project}?runs=${ids.join(',')}&key=${encodeURIComponent(key)}&xAxis=_step&buckets=${buckets}&band=0`)).json();
          }
        };
        await Promise.all([worker(), worker(), worker(), worker()]);
        return performance.now() - t0;
      }, { project, ids, names, buckets: BUCKETS }));
      // A hover: the cursor moved on one chart (uPlot updates its legend with every run's value).
      hover.push(await page.evaluate(() => {
        const u = Object.values(window.__cohort.charts)[0].uplot;
        const t0 = performance.now();
        for (let i = 0; i < 20; i++) u.setCursor({ left: 50 + i * 10, top: 50 });
        return (performance.now() - t0) / 20;
      }));
      // Toggling a run: its line hidden in every chart.
      toggle.push(await page.evaluate(() => {
        const t0 = performance.now();
        for (const c of Object.values(window.__cohort.charts)) c.uplot.setSeries(1, { show: false });
        return performance.now() - t0;
      }));
      await page.close();
    }
    return { draw: median(draw), raw: median(raw), hover: median(hover), toggle: median(toggle) };
  } finally {
    await browser.close();
  }
}

if (!existsSync(CHROMIUM)) {
  console.log(`workspace bench: skipped, no Chromium at ${CHROMIUM}`);
  process.exit(0);
}
const tmp = mkdtempSync(join(tmpdir(), 'cohort-bench-ws-'));
const server = await startServerProcess(join(tmp, 'server'));
try {
  process.env.COHORT_URL = server.httpUrl;
  const t0 = Date.now();
  const { ids, names } = await seed('bench-ws', join(tmp, 'runs'));
  console.log(`seeded ${RUNS} runs × ${KEYS} metrics × ${fmt(STEPS)} steps in ${fmt((Date.now() - t0) / 1000, 1)} s`);
  const m = await measure(server.httpUrl, 'bench-ws', ids, names);
  printTable(`workspace of ${RUNS} runs × ${KEYS} metrics × ${fmt(STEPS)} steps in headless Chromium (median of 3)`, ['path', 'ms', 'target'], [
    ['navigation → every chart drawn (a line per run)', fmt(m.draw), `<= 2 × raw (${fmt(2 * m.raw)})`],
    ['raw: fetch + JSON.parse of the same /api/v1/series bodies', fmt(m.raw), ''],
    ['hover (cursor moved on one chart, legend of every run)', fmt(m.hover, 1), '< 50'],
    ['toggle a run in every chart', fmt(m.toggle, 1), '< 50'],
  ]);
} finally {
  await server.stop();
  rmSync(tmp, { recursive: true, force: true });
}
