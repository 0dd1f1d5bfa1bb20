import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { init, withRun, type Run } from '@cohort/sdk';
import { launchChromium } from './browser.js';

const WEB_DIST = join(import.meta.dirname, '../../apps/web/dist/index.html');
/** More steps than a card has pixel columns: the server buckets them, a zoom asks for them whole. */
const LONG = 3000;
const lossOf = (r: number, s: number): number => (r + 1) / (s + 1) + (s % 7) / 1000;
const epochOf = (s: number): number => Math.floor(s / 100);

interface ChartState {
  x: number[];
  ys: number[][];
  labels: string[];
  shown: boolean[];
  xTicks: string[];
}

/** The project workspace's views (issue 17): the x-axes, smoothing, toggling runs, zoom at full resolution, live refresh. */
describe('the project workspace views in Chromium', () => {
  let dataDir: string;
  let runsDir: string;
  let coordinator: Coordinator;
  let browser: Browser & AsyncDisposable;
  let live: Run;
  const ids: string[] = [];
  let started = 0;

  beforeAll(async () => {
    if (!existsSync(WEB_DIST)) throw new Error(`${WEB_DIST} is missing: run \`npm run build\` first (\`npm test\` does)`);
    dataDir = await mkdtemp(join(tmpdir(), 'cohort-web-wsv-data-'));
    runsDir = await mkdtemp(join(tmpdir(), 'cohort-web-wsv-runs-'));
    coordinator = await startCoordinator({ dataDir, grpcPort: 0, httpPort: 0 });
    process.env['COHORT_URL'] = coordinator.httpUrl;
    started = Date.now() / 1000;
    const settings = { silent: true, systemMetricsSeconds: 0, console: 'off' as const };
    for (let r = 0; r < 2; r++) {
      await withRun({ project: 'web-wsv', name: `run-${'ab'[r]}`, dir: join(runsDir, String(r)), group: r === 0 ? 'g-one' : 'g-two', settings }, (run) => {
        ids.push(run.id);
        for (let s = 0; s < LONG; s++) run.log({ 'train/loss': lossOf(r, s), epoch: epochOf(s) });
      });
    }
    // A run still running: the workspace fetches its series again while it is live.
    live = await init({ project: 'web-wsv', name: 'run-live', dir: join(runsDir, 'live'), settings });
    ids.push(live.id);
    for (let s = 0; s < 10; s++) live.log({ 'train/loss': lossOf(2, s), epoch: epochOf(s) });
    await live.flush();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await live?.finish();
    await browser?.close();
    await coordinator?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(runsDir, { recursive: true, force: true });
  });

  const open = async (search: string): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    await page.goto(`${coordinator.httpUrl}/local/web-wsv/workspace${search}`);
    await ready(page);
    return page;
  };
  const ready = (page: Page): Promise<unknown> => page.waitForFunction(() => window.__cohort?.ready?.['workspace'] === true, null, { timeout: 60_000 });
  const chart = (page: Page, key: string): Promise<ChartState> =>
    page.evaluate((k) => {
      const c = window.__cohort.charts[`ws:${k}`]!;
      const drawn = c.drawn();
      const u = c.uplot as unknown as { series: Array<{ show?: boolean }> };
      return { x: drawn[0]!, ys: drawn.slice(1), labels: c.labels(), shown: u.series.slice(1).map((s) => s.show !== false), xTicks: c.axes()[0]!.labels };
    }, key);

  /** How many pixels of the chart's canvas are each colour (`#rrggbb`, opaque pixels only). */
  const pixels = (page: Page, key: string, colors: string[]): Promise<number[]> =>
    page.evaluate(
      ([k, cs]) => {
        const canvas = document.querySelector<HTMLCanvasElement>(`.ws-card[data-key="${k}"] canvas`)!;
        const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        const counts = cs.map(() => 0);
        for (let i = 0; i < d.length; i += 4) {
          if (d[i + 3] !== 255) continue;
          const hex = `#${[d[i]!, d[i + 1]!, d[i + 2]!].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
          const at = cs.indexOf(hex);
          if (at >= 0) counts[at]!++;
        }
        return counts;
      },
      [key, colors] as const,
    );
  /** The first two runs' colours (chart.ts). */
  const RUN_COLORS = ['#2f6fde', '#e8590c'];

  it('draws against step, relative time, wall time or a step metric, as chosen', async () => {
    const page = await open(`?runs=${ids.slice(0, 2).join(',')}&q=loss`);
    const byStep = await chart(page, 'train/loss');
    expect(byStep.labels).toEqual(['run-a', 'run-b']);
    // Bucketed on the server (a bucket per pixel column), the last step kept.
    expect(byStep.x.length).toBeLessThan(LONG);
    expect(byStep.x.at(-1)).toBe(LONG - 1);
    expect(byStep.ys[0]!.at(-1)).toBeCloseTo(lossOf(0, LONG - 1), 12);

    await page.selectOption('[data-testid=x-axis]', 'epoch');
    await ready(page);
    const byEpoch = await chart(page, 'train/loss');
    expect(byEpoch.x[0]).toBe(0);
    expect(byEpoch.x.at(-1)).toBe(epochOf(LONG - 1));
    expect(new URL(page.url()).searchParams.get('x')).toBe('epoch');

    await page.selectOption('[data-testid=x-axis]', '_runtime');
    await ready(page);
    const byRuntime = await chart(page, 'train/loss');
    expect(byRuntime.x.every((v, i) => v >= 0 && (i === 0 || v >= byRuntime.x[i - 1]!))).toBe(true);
    expect(byRuntime.x.at(-1)!).toBeLessThan(Date.now() / 1000 - started + 1);
    // Duration ticks: 0, 1s, 1m 30s, …
    for (const t of byRuntime.xTicks) expect(t).toMatch(/^(0|[\d.]+s|\d+m \d{2}s|\d+h \d{2}m)$/);

    await page.selectOption('[data-testid=x-axis]', '_timestamp');
    await ready(page);
    const byTime = await chart(page, 'train/loss');
    expect(byTime.x[0]!).toBeGreaterThanOrEqual(started - 1);
    expect(byTime.x.at(-1)!).toBeLessThanOrEqual(Date.now() / 1000 + 1);
    // Wall-clock ticks (uPlot's time axis), and the hover reads a date.
    for (const t of byTime.xTicks) expect(t).toMatch(/\d/);
    const hoverX = await page.evaluate(() => {
      const u = window.__cohort.charts['ws:train/loss']!.uplot as unknown as { setCursor(c: { left: number; top: number }): void };
      u.setCursor({ left: 30, top: 10 });
      return document.querySelector('.ws-card[data-key="train/loss"] [data-testid=hover-x]')!.textContent;
    });
    expect(hoverX).toMatch(new RegExp(String(new Date().getFullYear())));
    await page.close();
  });

  it('smooths each line with the debiased moving average the slider sets', async () => {
    const page = await open(`?runs=${ids[0]}&q=loss&x=epoch`);
    const raw = await chart(page, 'train/loss');
    await page.locator('[data-testid=smoothing]').fill('0.6');
    await page.locator('[data-testid=smoothing]').dispatchEvent('change');
    await page.waitForFunction(() => window.__cohort.ready['workspace'] === true && new URL(location.href).searchParams.get('smooth') === '0.6');
    const smoothed = await chart(page, 'train/loss');
    expect(smoothed.x).toEqual(raw.x);
    let last = 0;
    raw.ys[0]!.forEach((v, i) => {
      last = last * 0.6 + 0.4 * v;
      expect(smoothed.ys[0]![i]).toBeCloseTo(last / (1 - 0.6 ** (i + 1)), 12);
    });
    await page.close();
  });

  it('hides a run in every chart when its chip is clicked, and keeps that in the URL', async () => {
    const page = await open(`?runs=${ids.slice(0, 2).join(',')}`);
    expect((await chart(page, 'train/loss')).shown).toEqual([true, true]);
    // Each run's line is on the canvas, in its colour, over a hundred pixels of it.
    for (const n of await pixels(page, 'train/loss', RUN_COLORS)) expect(n).toBeGreaterThan(100);
    await page.click(`[data-testid=workspace-runs] .run-chip[data-key="${ids[0]}"] [data-testid=toggle-run]`);
    await page.waitForFunction(() => window.__cohort.ready['toggle'] === true);
    for (const key of ['train/loss', 'epoch']) expect((await chart(page, key)).shown).toEqual([false, true]);
    // The hidden run's line is gone from the canvas, the other's still drawn.
    const [a, b] = await pixels(page, 'train/loss', RUN_COLORS);
    expect(a).toBe(0);
    expect(b).toBeGreaterThan(100);
    expect(new URL(page.url()).searchParams.get('hide')).toBe(ids[0]);
    expect(await page.locator('.ws-card[data-key="train/loss"] [data-testid=hover] .ws-hover-row:not([hidden]) .name').allTextContents()).toEqual(['step', 'run-b']);
    // Off the chart the panel shows each run's last value.
    expect(await page.locator('.ws-card[data-key="train/loss"] [data-testid=hover] .ws-hover-row:not([hidden]) .value').allTextContents()).toEqual(['last', String(Number(lossOf(1, LONG - 1).toPrecision(6)))]);
    await page.reload();
    await ready(page);
    expect((await chart(page, 'train/loss')).shown).toEqual([false, true]);
    // Grouped by run group: the hidden run is out of its group's mean.
    await page.selectOption('[data-testid=group-by]', 'group');
    await ready(page);
    expect((await chart(page, 'train/loss')).labels).toEqual(['g-two mean (1)', 'g-two max', 'g-two min']);
    await page.close();
  });

  it('zooms into a range at full resolution, and back to the whole on a double click', async () => {
    const page = await open(`?runs=${ids[0]}&q=loss`);
    const whole = await chart(page, 'train/loss');
    await page.evaluate(() => {
      window.__cohort.ready['zoom:ws:train/loss'] = false;
      (window.__cohort.charts['ws:train/loss']!.uplot as unknown as { setScale(k: string, r: { min: number; max: number }): void }).setScale('x', { min: 1000, max: 1100 });
    });
    await page.waitForFunction(() => window.__cohort.ready['zoom:ws:train/loss'] === true, null, { timeout: 30_000 });
    const zoomed = await chart(page, 'train/loss');
    expect(zoomed.x).toEqual(Array.from({ length: 101 }, (_, i) => 1000 + i));
    expect(zoomed.ys[0]!.map((v) => Number(v.toPrecision(12)))).toEqual(zoomed.x.map((s) => Number(lossOf(0, s).toPrecision(12))));
    await page.dblclick('.ws-card[data-key="train/loss"] .u-over');
    expect((await chart(page, 'train/loss')).x).toEqual(whole.x);
    await page.close();
  });

  it('draws what a live run logs after the page opened', async () => {
    const page = await open(`?runs=${ids[2]}&q=loss`);
    expect((await chart(page, 'train/loss')).x.at(-1)).toBe(9);
    expect(await page.locator('[data-testid=live]').textContent()).toContain('live');
    for (let s = 10; s < 25; s++) live.log({ 'train/loss': lossOf(2, s), epoch: epochOf(s) });
    await page.waitForFunction(() => window.__cohort.charts['ws:train/loss']?.drawn()[0]?.at(-1) === 24, null, { timeout: 60_000, polling: 200 });
    expect((await chart(page, 'train/loss')).ys[0]!.at(-1)).toBeCloseTo(lossOf(2, 24), 12);
    await page.close();
  });
});
