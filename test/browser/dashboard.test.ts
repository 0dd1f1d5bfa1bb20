import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { init } from '@cohort/sdk';
// @ts-expect-error: a plain ES module shared with scripts/screenshots.mjs
import { lossOf, seedDashboard } from '../../scripts/dashboard-seed.mjs';
import { launchChromium } from './browser.js';

const WEB_DIST = join(import.meta.dirname, '../../apps/web/dist/index.html');

interface Seeded {
  project: string;
  group: string;
  ranks: string[];
  baseline: string;
  hostile: string;
}

/**
 * The dashboard in a real headless Chromium against a real coordinator on
 * port 0 serving the built app (`npm test` builds it first). Data goes in
 * through the SDK, as a training script would log it.
 */
describe('the dashboard in Chromium', () => {
  let dataDir: string;
  let runsDir: string;
  let coordinator: Coordinator;
  let browser: Browser & AsyncDisposable;
  let seeded: Seeded;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(WEB_DIST)) throw new Error(`${WEB_DIST} is missing: run \`npm run build\` first (\`npm test\` does)`);
    dataDir = await mkdtemp(join(tmpdir(), 'cohort-web-data-'));
    runsDir = await mkdtemp(join(tmpdir(), 'cohort-web-runs-'));
    coordinator = await startCoordinator({ dataDir, grpcPort: 0, httpPort: 0 });
    seeded = (await seedDashboard({ url: coordinator.httpUrl, dir: runsDir, project: 'web-e2e', steps: 200, hostile: true })) as Seeded;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await coordinator?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(runsDir, { recursive: true, force: true });
  });

  async function open(path: string, ready?: string): Promise<Page & AsyncDisposable> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('dialog', (d) => {
      pageErrors.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(`${coordinator.httpUrl}${path}`);
    if (ready) await page.waitForFunction((k) => window.__cohort?.ready?.[k] === true, ready, { timeout: 30_000 });
    return Object.assign(page, { [Symbol.asyncDispose]: () => page.close() });
  }

  it('lists the demo group as grouped rows in the runs table', async () => {
    await using page = await open(`/local/${seeded.project}`);
    await page.waitForSelector(`[data-testid=group-row][data-key="${seeded.group}"]`);
    expect(await page.locator('[data-testid=group-row]').textContent()).toContain('4 ranks');
    const ids = await page.locator('tr.nested[data-testid=run-row]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')));
    expect(ids).toEqual(seeded.ranks);
    expect(await page.locator('tr[data-key] [data-state]').evaluateAll((b) => b.map((e) => e.getAttribute('data-state')))).toContain('finished');
    // Search narrows the table; the state filter too.
    await page.fill('[data-testid=search]', 'baseline');
    expect(await page.locator('[data-testid=run-row]').count()).toBe(1);
    await page.fill('[data-testid=search]', '');
    await page.selectOption('[data-testid=state-filter]', 'preempted');
    expect(await page.locator('[data-testid=run-row]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')))).toEqual([seeded.ranks[3]]);
  });

  it('draws a chart per metric whose points are the logged values', async () => {
    await using page = await open(`/local/${seeded.project}/runs/${seeded.ranks[1]}`, 'run');
    const drawn = (await page.evaluate(() => window.__cohort.charts['train/loss']!.drawn())) as number[][];
    const steps = Array.from({ length: 200 }, (_, i) => i);
    expect(drawn[0]).toEqual(steps);
    expect(drawn[1]!.map((v) => Number(v.toPrecision(12)))).toEqual(steps.map((s) => Number(lossOf(1, s).toPrecision(12))));
    // Every metric has a chart, in sections by the text before the last `/`.
    expect(Object.keys(await page.evaluate(() => window.__cohort.charts)).filter((k) => !k.startsWith('media:')).sort()).toEqual(['system/throughput', 'train/loss', 'train/lr', 'val/acc']);
    expect(await page.locator('details.section[data-key=train] .chart-card').count()).toBe(2);
    // Log scale and smoothing redraw from the same data.
    await page.check('[data-testid=log-scale]');
    await page.waitForFunction(() => window.__cohort.charts['train/loss']?.uplot.scales['y']?.distr === 3);
  });

  it('renders media, markdown notes and the state history of a run', async () => {
    await using page = await open(`/local/${seeded.project}/runs/${seeded.ranks[0]}`, 'run');
    // The image is the run's file in the blob store, fetched from the files route and decoded.
    const img = page.locator('.media-card[data-key="samples/input"] figure.media-image img');
    expect(await img.getAttribute('src')).toMatch(new RegExp(`^/api/v1/runs/local/${seeded.project}/${seeded.ranks[0]}/files/media/images/[0-9a-f]{20}\\.png$`));
    await page.waitForFunction(() => {
      const el = document.querySelector<HTMLImageElement>('.media-card[data-key="samples/input"] figure.media-image img');
      return el?.complete === true && el.naturalWidth > 0;
    });
    const pixels = await img.evaluate((el: HTMLImageElement) => {
      const canvas = document.createElement('canvas');
      canvas.width = el.naturalWidth;
      canvas.height = el.naturalHeight;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(el, 0, 0);
      return { width: el.naturalWidth, height: el.naturalHeight, at: [...ctx.getImageData(1, 2, 1, 1).data] };
    });
    // The seed's 32×32 gradient: pixel (x, y) is [8x, 8y, 128].
    expect(pixels).toEqual({ width: 32, height: 32, at: [8, 16, 128, 255] });
    await page.waitForFunction(() => window.__cohort.charts['media:weights/fc'] !== undefined);
    await page.waitForFunction(() => window.__cohort.charts['media:eval/acc_curve'] !== undefined);
    // Tables come from their table.json: 20 rows of 3 cells, and the 3×3 confusion matrix.
    await page.locator('.media-card[data-key="eval/acc_curve"] table.cells tbody tr').nth(19).waitFor({ state: 'attached' });
    expect(await page.locator('.media-card[data-key="eval/acc_curve"] table.cells td').count()).toBe(60);
    await page.locator('table.confusion').waitFor();
    expect(await page.locator('table.confusion td').count()).toBe(9);
    // Media of earlier steps are one select away.
    const card = page.locator('.media-card[data-key="samples/input"]');
    expect(await card.locator('figcaption').textContent()).toBe('a 32×32 gradient');
    await card.locator('[data-testid=media-step]').focus();
    await card.locator('option[value="0"]').waitFor({ state: 'attached' });
    await card.locator('[data-testid=media-step]').selectOption('0');
    await card.locator('figcaption', { hasText: 'first batch' }).waitFor();
    expect(await page.locator('[data-testid=notes] strong').textContent()).toBe('4 GPUs');
    expect(await page.locator('[data-testid=state-history] li').allTextContents()).toEqual([expect.stringContaining('running'), expect.stringContaining('finished')]);
    expect(await page.locator('[data-testid=alerts]').textContent()).toContain('val/acc plateaued');
  });

  it('shows every rank overlaid with the mean and its min–max band on the group page', async () => {
    await using page = await open(`/local/${seeded.project}/groups/${seeded.group}`, 'group');
    const chart = (await page.evaluate(() => {
      const c = window.__cohort.charts['group:train/loss']!;
      return { drawn: c.drawn(), labels: c.labels(), bands: c.uplot.bands?.length ?? 0 };
    })) as { drawn: number[][]; labels: string[]; bands: number };
    expect(chart.labels).toEqual(['mean', 'max', 'min', 'rank 0', 'rank 1', 'rank 2', 'rank 3']);
    expect(chart.bands).toBe(1);
    const [x, mean, max, min, ...ranks] = chart.drawn as [number[], number[], number[], number[], ...number[][]];
    expect(x).toHaveLength(200);
    for (let i = 0; i < x.length; i++) {
      const values = ranks.map((r) => r[i]!);
      expect(mean[i]).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 9);
      expect(max[i]).toBe(Math.max(...values));
      expect(min[i]).toBe(Math.min(...values));
    }
    // Rank 1's spike at step 150 is the band's top there.
    expect(max[150]).toBeCloseTo(lossOf(1, 150), 9);
    const states = await page.locator('[data-testid=member]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state')));
    expect(states).toEqual(['finished', 'finished', 'finished', 'preempted']);
    expect(await page.locator('[data-testid=member]').nth(3).textContent()).toContain('preempted at');
    // When each rank last logged and last sent a heartbeat, beside when it ended; the first down is marked.
    for (const id of ['last-logged', 'last-heartbeat']) {
      for (const text of await page.locator(`[data-testid=member] [data-testid=${id}]`).allTextContents()) expect(text).toMatch(/\d{2}:\d{2}:\d{2}\.\d{3}/);
    }
    expect(await page.locator('[data-testid=member]').evaluateAll((rows) => rows.map((r) => r.querySelector('[data-testid=first-down]') !== null))).toEqual([false, false, false, true]);
  });

  it('lists the versions of an artifact with aliases, files and lineage', async () => {
    await using page = await open(`/local/${seeded.project}/artifacts`);
    // The project's artifacts with their counts and sizes: 2 versions, the latest of 1 file of 18 bytes ("weights of epoch 2").
    const row = page.locator('[data-testid=artifacts] tr[data-key="resnet-weights"]');
    await row.waitFor();
    expect([await row.locator('[data-testid=artifact-versions]').textContent(), await row.locator('[data-testid=artifact-filecount]').textContent(), await row.locator('[data-testid=artifact-size]').textContent()]).toEqual(['2', '1', '18 B']);
    await row.locator('a').click();
    await page.waitForSelector('[data-testid=lineage]');
    expect(await page.locator('[data-testid=version]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')))).toEqual(['v0', 'v1']);
    expect(await page.locator('[data-testid=version][data-key=v1] .tag').allTextContents()).toEqual(expect.arrayContaining(['best', 'latest']));
    expect(await page.locator('[data-testid=artifact-files]').textContent()).toContain('weights.bin');
    const lineage = await page.locator('[data-testid=lineage]').textContent();
    expect(lineage).toContain(seeded.ranks[0]);
    expect(lineage).toContain(seeded.baseline);
    // The model registry, one click from the artifact: the registered model, its version and aliases, and the artifact version it links.
    await page.click('[data-testid=registry-link]');
    await page.waitForSelector('[data-testid=registered-models] tr[data-key="resnet-50"]');
    const versions = page.locator('[data-testid=registered-models] [data-testid=model-versions]');
    expect(await versions.locator('a').allTextContents()).toEqual(['v0']);
    expect((await versions.locator('.tag').allTextContents()).sort()).toEqual(['latest', 'production']);
    await page.click('[data-testid=model-versions] a');
    await page.waitForSelector('[data-testid=linked-from]');
    expect(await page.locator('[data-testid=linked-from]').textContent()).toBe(`links ${seeded.project}/resnet-weights:v1`);
    // The producer's run page links it, and lists the saved file.
    await page.goto(`${coordinator.httpUrl}/local/${seeded.project}/runs/${seeded.ranks[0]}`);
    await page.waitForSelector('[data-testid=run-artifacts]');
    expect(await page.locator('[data-testid=run-artifacts]').textContent()).toContain('resnet-weights:v1');
    expect(await page.locator('[data-testid=files]').textContent()).toContain('summary.txt');
  });

  it('runs no script from a logged name, note, tag, config, table cell or HTML media', async () => {
    await using page = await open(`/local/${seeded.project}/runs/${seeded.hostile}`, 'run');
    await page.waitForTimeout(500); // let any frame or image error handler fire
    expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
    expect(await page.locator('[data-testid=run-name]').textContent()).toContain('<script>window.__pwned = "name"</script>');
    expect(await page.locator('main script, main img[src="x"], main svg[onload], main [onerror]').count()).toBe(0);
    expect(await page.locator('[data-testid=notes]').textContent()).toContain('<script>');
    expect(await page.locator('[data-testid=notes] code').first().textContent()).toBe('a < b');
    expect(await page.locator('[data-testid=notes] a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))).not.toContain("javascript:window.__pwned='link'");
    const frame = page.locator('figure.media-html iframe');
    expect(await frame.getAttribute('sandbox')).toBe('');
    const frameSrc = (await frame.getAttribute('src'))!;
    expect(frameSrc).toMatch(/\/files\/media\/html\/[0-9a-f]{20}\.html$/);
    // Opened on its own, the logged page is sandboxed by the server too.
    expect((await fetch(`${coordinator.httpUrl}${frameSrc}`)).headers.get('content-security-policy')).toBe('sandbox');
    expect(await page.locator('.media-table td').first().textContent()).toContain('<img src=x');
    // The runs table shows the name as text too.
    await page.goto(`${coordinator.httpUrl}/local/${seeded.project}`);
    await page.waitForSelector(`[data-testid=run-row][data-key="${seeded.hostile}"]`);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
    expect(pageErrors.filter((e) => e.startsWith('dialog'))).toEqual([]);
  });

  it('updates a running run without reload', { timeout: 60_000 }, async () => {
    const run = await init({ project: seeded.project, name: 'live-run', dir: join(runsDir, 'live'), settings: { silent: true, flushIntervalMs: 5 } });
    try {
      for (let i = 0; i < 5; i++) run.log({ 'live/value': i });
      await run.flush();
      await using page = await open(`/local/${seeded.project}/runs/${run.id}`, 'run');
      expect(((await page.evaluate(() => window.__cohort.charts['live/value']!.drawn())) as number[][])[0]).toHaveLength(5);
      for (let i = 5; i < 12; i++) run.log({ 'live/value': i });
      await run.flush();
      // The stream polls once a second and the page redraws a second after new rows; a loaded CI machine is slower.
      await page.waitForFunction(() => window.__cohort.charts['live/value']?.drawn()[0]?.length === 12, undefined, { timeout: 25_000 });
      await run.finish();
      await page.waitForSelector('[data-testid=run-name] [data-state=finished]', { timeout: 25_000 });
    } finally {
      if (run.state === 'running') await run.finish();
    }
  });

  it('serves the app shell for page URLs, 404 for a missing asset, and shows the API error of a missing run', async () => {
    const res = await fetch(`${coordinator.httpUrl}/local/${seeded.project}/runs/${seeded.ranks[0]}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const page = await res.text();
    expect(page).toContain('id="app"');
    expect(page).not.toContain('resnet-ddp-rank-0');
    expect((await fetch(`${coordinator.httpUrl}/assets/nope.js`)).status).toBe(404);
    await using tab = await open('/local/nope-project/runs/nope');
    await tab.waitForSelector('[data-testid=error]');
    expect(await tab.locator('[data-testid=error]').textContent()).toContain('NOT_FOUND');
  });
});
