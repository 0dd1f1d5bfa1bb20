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
const STEPS = 101;
const lrOf = (s: number): number => 3e-4 * (1 - (0.1 * s) / (STEPS - 1));

/** What a chart's axes drew, with each label's width measured in the axis font. */
interface AxisRead {
  labels: string[];
  size: number;
  widest: number;
}

/**
 * Numbers people can read (issue 17): a learning rate around 3e-4 with
 * distinct ticks and a non-zero hover, large values with SI prefixes in a
 * gutter as wide as its labels, `_timestamp` as a date and `_runtime` as a
 * duration.
 */
describe('numbers on the run page in Chromium', () => {
  let dataDir: string;
  let runsDir: string;
  let coordinator: Coordinator;
  let browser: Browser & AsyncDisposable;
  let url = '';

  beforeAll(async () => {
    if (!existsSync(WEB_DIST)) throw new Error(`${WEB_DIST} is missing: run \`npm run build\` first (\`npm test\` does)`);
    dataDir = await mkdtemp(join(tmpdir(), 'cohort-web-num-data-'));
    runsDir = await mkdtemp(join(tmpdir(), 'cohort-web-num-runs-'));
    coordinator = await startCoordinator({ dataDir, grpcPort: 0, httpPort: 0 });
    process.env['COHORT_URL'] = coordinator.httpUrl;
    await withRun({ project: 'web-numbers', dir: runsDir, settings: { silent: true, systemMetricsSeconds: 0, console: 'off' } }, (run) => {
      url = run.url!;
      for (let s = 0; s < STEPS; s++) run.log({ 'train/lr': lrOf(s), 'train/tokens_seen': s * 1650, 'train/samples': s * 12_000_000 });
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await coordinator?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(runsDir, { recursive: true, force: true });
  });

  async function open(): Promise<Page & AsyncDisposable> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    await page.goto(url);
    await page.waitForFunction(() => window.__cohort?.ready?.['run'] === true, null, { timeout: 30_000 });
    return Object.assign(page, { [Symbol.asyncDispose]: () => page.close() });
  }

  const yAxis = (page: Page, key: string): Promise<AxisRead> =>
    page.evaluate((k) => {
      const a = window.__cohort.charts[k]!.axes()[1]!;
      const ctx = document.createElement('canvas').getContext('2d')!;
      ctx.font = a.font;
      return { labels: a.labels, size: a.size, widest: Math.max(...a.labels.map((l) => ctx.measureText(l).width)) / (window.devicePixelRatio || 1) };
    }, key);

  it('draws a learning rate around 3e-4 with distinct ticks and a non-zero hover', async () => {
    await using page = await open();
    const axis = await yAxis(page, 'train/lr');
    expect(axis.labels.length).toBeGreaterThanOrEqual(3);
    expect(new Set(axis.labels).size).toBe(axis.labels.length);
    for (const l of axis.labels) expect(l).toMatch(/^\d\.\d{1,3}e-4$/);
    // The hover at step 50 reads the logged value, not `0`.
    const hover = await page.evaluate(() => {
      const u = window.__cohort.charts['train/lr']!.uplot as unknown as {
        valToPos(v: number, scale: string): number;
        setCursor(c: { left: number; top: number }): void;
        root: HTMLElement;
      };
      u.setCursor({ left: u.valToPos(50, 'x'), top: 10 });
      return Array.from(u.root.querySelectorAll('.u-legend .u-series .u-value'), (e) => e.textContent);
    });
    expect(hover).toEqual(['50', '2.85e-4']);
  });

  it('writes large values with SI prefixes in a gutter as wide as its labels', async () => {
    await using page = await open();
    const tokens = await yAxis(page, 'train/tokens_seen');
    expect(tokens.labels).toContain('150k');
    for (const l of tokens.labels) expect(l).toMatch(/^(0|\d{1,3}k)$/);
    const samples = await yAxis(page, 'train/samples');
    expect(samples.labels).toContain('1.0G');
    for (const axis of [tokens, samples]) expect(axis.size).toBeGreaterThanOrEqual(Math.ceil(axis.widest));
    // A hover on a large value keeps every digit, with separators.
    const hover = await page.evaluate(() => {
      const u = window.__cohort.charts['train/tokens_seen']!.uplot as unknown as { valToPos(v: number, s: string): number; setCursor(c: { left: number; top: number }): void; root: HTMLElement };
      u.setCursor({ left: u.valToPos(100, 'x'), top: 10 });
      return u.root.querySelectorAll('.u-legend .u-series .u-value')[1]!.textContent;
    });
    expect(hover).toBe('165,000');
  });

  it('shows _timestamp as a date and _runtime as a duration in the summary', async () => {
    await using page = await open();
    const row = (key: string) => page.locator('[data-testid=summary] tr', { has: page.locator('th', { hasText: new RegExp(`^${key}$`) }) }).locator('td');
    expect(await row('_timestamp').textContent()).toMatch(new RegExp(`${new Date().getFullYear()}.*\\d{2}:\\d{2}:\\d{2}`));
    expect(await row('_runtime').textContent()).toMatch(/^(\d+(\.\d)?s|\d+m \d{2}s)$/);
    expect(await row('train/tokens_seen').textContent()).toBe('165,000');
    expect(await row('train/lr').textContent()).toBe('2.7e-4');
    // The x-axis as relative time ticks in durations.
    await page.selectOption('[data-testid=x-axis]', '_runtime');
    await page.waitForFunction(() => window.__cohort.charts['train/lr']?.uplot.series[0]?.label === '_runtime');
    const x = await page.evaluate(() => window.__cohort.charts['train/lr']!.axes()[0]!.labels);
    for (const l of x) expect(l).toMatch(/^(0|\d+(\.\d)?s|\d+m \d{2}s)$/);
  });
});
