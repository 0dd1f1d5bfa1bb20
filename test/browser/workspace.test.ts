import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { withRun } from '@cohort/sdk';
import { launchChromium } from './browser.js';

const WEB_DIST = join(import.meta.dirname, '../../apps/web/dist/index.html');
const STEPS = 40;
const lossOf = (r: number, s: number): number => (r + 1) / (s + 1);
const lrOf = (r: number): number => 1e-4 * (r + 1);

interface Drawn {
  drawn: number[][];
  labels: string[];
  strokes: string[];
}

/** The project workspace (issue 17): runs picked in the runs table, compared one chart per key with a line per run. */
describe('the project workspace in Chromium', () => {
  let dataDir: string;
  let runsDir: string;
  let coordinator: Coordinator;
  let browser: Browser & AsyncDisposable;
  const ids: string[] = [];

  beforeAll(async () => {
    if (!existsSync(WEB_DIST)) throw new Error(`${WEB_DIST} is missing: run \`npm run build\` first (\`npm test\` does)`);
    dataDir = await mkdtemp(join(tmpdir(), 'cohort-web-ws-data-'));
    runsDir = await mkdtemp(join(tmpdir(), 'cohort-web-ws-runs-'));
    coordinator = await startCoordinator({ dataDir, grpcPort: 0, httpPort: 0 });
    process.env['COHORT_URL'] = coordinator.httpUrl;
    for (let r = 0; r < 3; r++) {
      await withRun({ project: 'web-ws', name: `run-${'abc'[r]}`, dir: join(runsDir, String(r)), config: { lr: lrOf(r), arch: r === 1 ? 'mlp' : 'cnn' }, settings: { silent: true, systemMetricsSeconds: 0, console: 'off' } }, (run) => {
        ids.push(run.id);
        // A summary of `{ max }` names the metric val/acc, not a key `val/acc.max`.
        run.defineMetric('val/acc', { summary: 'max' });
        // A hidden metric is logged but not charted.
        run.defineMetric('debug/grad_norm', { hidden: true });
        for (let s = 0; s < STEPS; s++) run.log({ 'train/loss': lossOf(r, s), 'train/lr': lrOf(r), 'debug/grad_norm': s, ...(r !== 1 && { 'val/acc': r / 10 + s / 1000 }) });
      });
    }
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await coordinator?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(runsDir, { recursive: true, force: true });
  });

  const chart = (page: Page, key: string): Promise<Drawn> =>
    page.evaluate((k) => {
      const c = window.__cohort.charts[`ws:${k}`]!;
      const u = c.uplot as unknown as { series: Array<{ stroke?: (u: unknown, i: number) => string }> };
      return { drawn: c.drawn(), labels: c.labels(), strokes: u.series.slice(1).map((s, i) => String(s.stroke?.(c.uplot, i + 1))) };
    }, key);

  it('compares the runs ticked in the runs table, a line per run in one chart per key', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    await page.goto(`${coordinator.httpUrl}/local/web-ws`);
    await page.waitForSelector('[data-testid=run-row]');
    // Config columns beside summary columns, chosen by the user, kept in the URL.
    await page.fill('[data-testid=columns]', 'config.arch, train/loss, config.lr');
    await page.locator('[data-testid=columns]').dispatchEvent('change');
    const cells = async (id: string): Promise<string[]> => (await page.locator(`[data-testid=run-row][data-key="${id}"] td.num`).allTextContents());
    expect(await cells(ids[1]!)).toEqual(['mlp', String(Number(lossOf(1, STEPS - 1).toPrecision(6))), '2e-4']);
    expect(new URL(page.url()).searchParams.get('cols')).toBe('config.arch,train/loss,config.lr');
    // Ticked in this order: run-c, then run-a; their colours follow that order.
    await page.locator(`[data-testid=run-row][data-key="${ids[2]}"] [data-testid=select-run]`).check();
    await page.locator(`[data-testid=run-row][data-key="${ids[0]}"] [data-testid=select-run]`).check();
    expect(await page.locator('[data-testid=compare]').textContent()).toBe('compare 2 selected →');
    // The runs table keeps the selection in its URL too.
    expect(new URL(page.url()).searchParams.get('sel')).toBe(`${ids[2]},${ids[0]}`);
    await page.click('[data-testid=compare]');
    await page.waitForFunction(() => window.__cohort?.ready?.['workspace'] === true, null, { timeout: 30_000 });
    expect(new URL(page.url()).pathname).toBe('/local/web-ws/workspace');
    expect(new URL(page.url()).searchParams.get('runs')).toBe(`${ids[2]},${ids[0]}`);
    // No chart of the hidden debug/grad_norm.
    expect((await page.evaluate(() => Object.keys(window.__cohort.charts))).sort()).toEqual(['ws:train/loss', 'ws:train/lr', 'ws:val/acc']);

    const loss = await chart(page, 'train/loss');
    expect(loss.labels).toEqual(['run-c', 'run-a']);
    expect(loss.drawn[0]).toEqual(Array.from({ length: STEPS }, (_, s) => s));
    expect(loss.drawn[1]!.map((v) => Number(v.toPrecision(12)))).toEqual(loss.drawn[0]!.map((s) => Number(lossOf(2, s).toPrecision(12))));
    expect(loss.drawn[2]!.map((v) => Number(v.toPrecision(12)))).toEqual(loss.drawn[0]!.map((s) => Number(lossOf(0, s).toPrecision(12))));
    // A run keeps its colour in every chart.
    const acc = await chart(page, 'val/acc');
    const lr = await chart(page, 'train/lr');
    expect(acc.labels).toEqual(['run-c', 'run-a']);
    expect(new Set(loss.strokes).size).toBe(2);
    expect(acc.strokes).toEqual(loss.strokes);
    expect(lr.strokes).toEqual(loss.strokes);
    expect(await page.locator('[data-testid=workspace-runs] .run-chip').evaluateAll((els) => els.map((e) => (e.querySelector('.swatch') as HTMLElement).style.background))).toEqual(
      loss.strokes.map((c) => (c.startsWith('#') ? `rgb(${parseInt(c.slice(1, 3), 16)}, ${parseInt(c.slice(3, 5), 16)}, ${parseInt(c.slice(5, 7), 16)})` : c)),
    );
    // The hover shows every run's value at the cursor, written readably.
    const hover = await page.evaluate(() => {
      const u = window.__cohort.charts['ws:train/lr']!.uplot as unknown as { valToPos(v: number, s: string): number; setCursor(c: { left: number; top: number }): void };
      u.setCursor({ left: u.valToPos(10, 'x'), top: 10 });
      const panel = document.querySelector('.ws-card[data-key="train/lr"] [data-testid=hover]')!;
      return Array.from(panel.querySelectorAll('.ws-hover-row'), (e) => `${e.querySelector('.name')!.textContent} ${e.querySelector('.value')!.textContent}`);
    });
    expect(hover).toEqual(['step 10', 'run-c 3e-4', 'run-a 1e-4']);
    await page.close();
  });

  it('groups runs by a config value: a mean line and min–max band per value', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    await page.goto(`${coordinator.httpUrl}/local/web-ws/workspace?runs=${ids.join(',')}&group=config.arch`);
    await page.waitForFunction(() => window.__cohort?.ready?.['workspace'] === true, null, { timeout: 30_000 });
    const c = await page.evaluate(() => {
      const h = window.__cohort.charts['ws:train/loss']!;
      return { drawn: h.drawn(), labels: h.labels(), bands: h.uplot.bands?.length ?? 0 };
    });
    expect(c.labels).toEqual(['cnn mean (2)', 'cnn max', 'cnn min', 'mlp mean (1)', 'mlp max', 'mlp min']);
    expect(c.bands).toBe(2);
    const [x, cnnMean, cnnMax, cnnMin, mlpMean] = c.drawn as [number[], number[], number[], number[], number[]];
    for (let i = 0; i < x.length; i++) {
      const s = x[i]!;
      expect(cnnMean[i]).toBeCloseTo((lossOf(0, s) + lossOf(2, s)) / 2, 12);
      expect(cnnMax[i]).toBeCloseTo(lossOf(2, s), 12);
      expect(cnnMin[i]).toBeCloseTo(lossOf(0, s), 12);
      expect(mlpMean[i]).toBeCloseTo(lossOf(1, s), 12);
    }
    expect(await page.locator('[data-testid=group-by]').inputValue()).toBe('config.arch');
    await page.close();
  });

  it('keeps its chart settings in the URL across a reload', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    await page.goto(`${coordinator.httpUrl}/local/web-ws/workspace?runs=${ids.join(',')}`);
    await page.waitForFunction(() => window.__cohort?.ready?.['workspace'] === true, null, { timeout: 30_000 });
    expect((await chart(page, 'train/loss')).labels).toEqual(['run-a', 'run-b', 'run-c']);
    // run-b never logged val/acc: no line for it there.
    expect((await chart(page, 'val/acc')).labels).toEqual(['run-a', 'run-c']);
    await page.check('[data-testid=log-scale]');
    await page.waitForFunction(() => window.__cohort.ready['workspace'] === true && window.__cohort.charts['ws:train/loss']?.uplot.scales['y']?.distr === 3);
    await page.fill('[data-testid=chart-filter]', 'loss');
    await page.locator('[data-testid=chart-filter]').dispatchEvent('change');
    await page.waitForFunction(() => window.__cohort.ready['workspace'] === true && window.__cohort.charts['ws:val/acc'] === undefined);
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({ runs: ids.join(','), log: '1', q: 'loss' });
    await page.reload();
    await page.waitForFunction(() => window.__cohort?.ready?.['workspace'] === true, null, { timeout: 30_000 });
    expect(await page.evaluate(() => Object.keys(window.__cohort.charts))).toEqual(['ws:train/loss']);
    expect(await page.evaluate(() => window.__cohort.charts['ws:train/loss']!.uplot.scales['y']!.distr)).toBe(3);
    // Decades labelled, the multiples uPlot leaves unlabelled blank (never "-Infinity").
    const yTicks = await page.evaluate(() => window.__cohort.charts['ws:train/loss']!.axes()[1]!.labels);
    expect(yTicks).toContain('0.1');
    for (const t of yTicks) expect(t).toMatch(/^(|[\d.]+(e-\d+)?)$/);
    expect(await page.isChecked('[data-testid=log-scale]')).toBe(true);
    await page.close();
  });
});
