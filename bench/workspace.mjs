// npm run bench, part (k): the project workspace (issue 17) in headless
// Chromium. RUNS runs × KEYS metrics × STEPS steps, written through the store
// directly (no SDK, so seeding takes seconds), drawn one chart per key with a
// line per run, beside the raw fetch + JSON.parse of the same
// /api/v1/series requests in the same page (the very URLs the page asked
// for, as many at once), and what a hover, a zoom (redrawn, then refetched at
// full resolution for the range) and toggling a run in every chart take.
// Interactions are timed on the drawn page at rest, before the raw fetch
// (whose garbage would land in them).
//   node bench/workspace.mjs                  (100 × 20 × 10,000: about a minute, what npm run bench runs)
//   node bench/workspace.mjs --full           (the 100 × 20 × 100,000: 200 M points, several minutes)
//   BENCH_WS_RUNS=20 BENCH_WS_KEYS=5 BENCH_WS_STEPS=5000 node bench/workspace.mjs
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { startCoordinator } from '@cohort/coordinator';
import { Engine } from '@cohort/engine';
import { openSqliteStore } from '@cohort/store';
import { fmt, median, printTable } from './lib.mjs';

const FULL = process.argv.includes('--full') || process.env.BENCH_WS_FULL === '1';
const RUNS = Number(process.env.BENCH_WS_RUNS ?? 100);
const KEYS = Number(process.env.BENCH_WS_KEYS ?? 20);
const STEPS = Number(process.env.BENCH_WS_STEPS ?? (FULL ? 100_000 : 10_000));
const REPEATS = Number(process.env.BENCH_WS_REPEATS ?? 3);
const CHUNK = 10_000;
/** Toggles timed per page. */
const TOGGLES = 6;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PROJECT = 'bench-ws';
/** A line on stderr of where a long run is (BENCH_WS_VERBOSE=1). */
const progress = (line) => process.env.BENCH_WS_VERBOSE === '1' && process.stderr.write(`workspace bench: ${line}\n`);

/** Writes the runs as the engine would: one createRun, then batches of CHUNK steps × KEYS columns. */
export async function seed(file) {
  const store = openSqliteStore(file);
  const names = Array.from({ length: KEYS }, (_, k) => `group_${k % 4}/metric_${k}`);
  const summary = Object.fromEntries(names.map((n) => [n, 0]));
  const ids = [];
  const steps = new Float64Array(CHUNK);
  try {
    for (let r = 0; r < RUNS; r++) {
      const run = await store.createRun({
        entity: 'local', project: PROJECT, runId: `ws-${String(r).padStart(3, '0')}`, name: `run-${r}`, state: 'finished', exitCode: 0,
        group: '', jobType: '', rank: null, worldSize: null, localRank: null, node: '', tags: [], notes: '',
        configJson: JSON.stringify({ lr: 1e-4 * ((r % 5) + 1), seed: r }), summaryJson: JSON.stringify(summary), summaryStateJson: '', metricsJson: '[]',
        startTime: 1.7e9, endTime: 1.7e9 + STEPS, heartbeatAt: 1.7e9 + STEPS, runtime: STEPS, runtimeBase: 0, openedAt: 1.7e9,
        lastStep: STEPS - 1, appliedSeq: 0, sweepId: '', host: '', mode: 'online', forkedFrom: '', resumed: false,
      });
      let version = run.version;
      for (let s0 = 0, seq = 1; s0 < STEPS; s0 += CHUNK, seq++) {
        const n = Math.min(CHUNK, STEPS - s0);
        for (let i = 0; i < n; i++) steps[i] = s0 + i;
        const numeric = names.map((key, k) => {
          const values = new Float64Array(n);
          for (let i = 0; i < n; i++) values[i] = Math.exp(-(s0 + i) / (STEPS / 3)) * (1 + r / RUNS) + 0.05 * Math.sin((s0 + i) / 300 + k + r);
          return { key, steps: steps.subarray(0, n), values };
        });
        if (!(await store.commitBatch(run.pk, version++, { appliedSeq: seq, numeric }))) throw new Error(`run ${r}: batch ${seq} refused`);
      }
      ids.push(run.runId);
    }
  } finally {
    await store.close();
  }
  return { ids, names };
}

async function measure(httpUrl, ids) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const m = { draw: [], raw: [], bytes: [], frame: [], hover: [], zoom: [], zoomFull: [], toggle: [], toggleAll: [] };
  try {
    for (let r = 0; r < REPEATS; r++) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(`${httpUrl}/local/${PROJECT}/workspace?runs=${ids.join(',')}`, { waitUntil: 'commit' });
      await page.waitForFunction(() => window.__cohort?.ready?.workspace === true, undefined, { timeout: 900_000, polling: 10 });
      m.draw.push(await page.evaluate(() => performance.now()));
      progress(`repeat ${r + 1}: drawn in ${fmt(m.draw.at(-1))} ms`);
      const charts = await page.evaluate(() => Object.keys(window.__cohort.charts).length);
      if (charts !== KEYS) throw new Error(`expected ${KEYS} charts, got ${charts}`);
      // The series requests the page made to draw (before a zoom asks for more).
      const urls = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((u) => u.includes('/api/v1/series/')));
      if (urls.length !== KEYS) throw new Error(`the page made ${urls.length} series requests, expected ${KEYS}`);
      // At rest, as a person would find it: then the interactions, then the raw fetch.
      await page.waitForTimeout(1000);
      // The floor of every "→ next paint" below: a frame with no work, on the same page.
      m.frame.push(...(await page.evaluate(async () => {
        const out = [];
        for (let i = 0; i < 10; i++) {
          const t0 = performance.now();
          await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
          out.push(performance.now() - t0);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        return out;
      })));
      // Hover: the cursor moved over one chart, the panel fills with every run's value; the time to the next paint.
      m.hover.push(...(await page.evaluate(async () => {
        const u = Object.values(window.__cohort.charts)[0].uplot;
        const out = [];
        for (let i = 0; i < 10; i++) {
          const t0 = performance.now();
          u.setCursor({ left: 50 + i * 30, top: 50 });
          await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
          out.push(performance.now() - t0);
        }
        return out;
      })));
      // Toggling a run: its chip clicked, its line hidden (or shown again) in the charts in view; the time to
      // the next paint (the page answers), and until every chart in view is redrawn. Six toggles: three runs
      // hidden, then shown again.
      const toggles = await page.evaluate(async (n) => {
        const chips = document.querySelectorAll('[data-testid=toggle-run]');
        const out = [];
        for (let t = 0; t < n; t++) {
          const t0 = performance.now();
          chips[t % 3].click();
          await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
          const painted = performance.now() - t0;
          while (window.__cohort.ready.toggle !== true) await new Promise((resolve) => setTimeout(resolve, 1));
          out.push({ painted, all: performance.now() - t0 });
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return out;
      }, TOGGLES);
      m.toggle.push(...toggles.map((t) => t.painted));
      m.toggleAll.push(...toggles.map((t) => t.all));
      // Zoom into the middle tenth of one chart: redrawn at once, then the range refetched at full resolution.
      const zoom = await page.evaluate(async () => {
        const [id, c] = Object.entries(window.__cohort.charts)[0];
        const xs = c.uplot.data[0];
        const lo = xs[0] + (xs[xs.length - 1] - xs[0]) * 0.45;
        const hi = xs[0] + (xs[xs.length - 1] - xs[0]) * 0.55;
        window.__cohort.ready[`zoom:${id}`] = false;
        const t0 = performance.now();
        c.uplot.setScale('x', { min: lo, max: hi });
        await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
        const drawn = performance.now() - t0;
        while (window.__cohort.ready[`zoom:${id}`] !== true) {
          if (performance.now() - t0 > 300_000) throw new Error(`zoom of ${id}: not drawn at full resolution after 300 s`);
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
        return { drawn, full: performance.now() - t0 };
      });
      m.zoom.push(zoom.drawn);
      m.zoomFull.push(zoom.full);
      // Raw: the same series requests the page made, as many at once, each body fetched and parsed.
      const raw = await page.evaluate(async (urls) => {
        const t0 = performance.now();
        let next = 0;
        let bytes = 0;
        const worker = async () => {
          while (next < urls.length) {
            const text = await (await fetch(urls[next++])).text();
            bytes += text.length;
            JSON.parse(text);
          }
        };
        await Promise.all([worker(), worker(), worker(), worker()]);
        return { ms: performance.now() - t0, bytes };
      }, urls);
      m.raw.push(raw.ms);
      progress(`repeat ${r + 1}: raw ${fmt(raw.ms)} ms`);
      m.bytes.push(raw.bytes);
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return { ...Object.fromEntries(Object.entries(m).map(([k, v]) => [k, median(v)])), toggleMax: Math.max(...m.toggle), toggles: m.toggle.length, hovers: m.hover.length };
}

export async function benchWorkspace(tmp) {
  if (!existsSync(CHROMIUM)) {
    console.log(`\nworkspace bench: skipped, no Chromium at ${CHROMIUM}`);
    return;
  }
  const file = join(tmp, 'workspace.db');
  const t0 = performance.now();
  const { ids } = await seed(file);
  const seeded = (performance.now() - t0) / 1000;
  const engine = new Engine(openSqliteStore(file));
  const coordinator = await startCoordinator({ engine, grpcPort: 0, httpPort: 0 });
  try {
    const m = await measure(coordinator.httpUrl, ids);
    printTable(
      `(k) workspace of ${RUNS} runs × ${KEYS} metrics × ${fmt(STEPS)} steps (${fmt((RUNS * KEYS * STEPS) / 1e6)} M points, written in ${fmt(seeded, 1)} s) in headless Chromium, median of ${REPEATS}`,
      ['path', 'ms', 'target'],
      [
        ['navigation → every chart drawn (a line per run)', fmt(m.draw), `<= 2 × raw (${fmt(2 * m.raw)})`],
        [`raw: fetch + JSON.parse of the same ${KEYS} /api/v1/series requests (${fmt(m.bytes / 1e6, 1)} MB)`, fmt(m.raw), ''],
        ['draw / raw', fmt(m.draw / m.raw, 2), '<= 2'],
        ['raw: a frame with no work → next paint (the floor of the rows below)', fmt(m.frame, 1), ''],
        [`hover: cursor moved on one chart → next paint, panel of every run's value (median of ${m.hovers})`, fmt(m.hover, 1), '< 50'],
        ['zoom one chart into a tenth of its range → next paint', fmt(m.zoom, 1), '< 50'],
        ['zoom: the range refetched at full resolution and drawn', fmt(m.zoomFull), ''],
        [`toggle a run: its chip clicked → next paint (median of ${m.toggles})`, fmt(m.toggle, 1), '< 50'],
        [`toggle: the slowest of ${m.toggles} to the next paint`, fmt(m.toggleMax, 1), ''],
        ['toggle: every chart in view redrawn, then their hover panels (those out of view as they scroll in)', fmt(m.toggleAll), ''],
      ],
    );
  } finally {
    await coordinator.close();
    await engine.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const tmp = mkdtempSync(join(tmpdir(), 'cohort-bench-ws-'));
  try {
    await benchWorkspace(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
