import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { withRun } from '@cohort/sdk';
import { launchChromium } from './browser.js';

const WEB_DIST = join(import.meta.dirname, '../../apps/web/dist/index.html');

/** Charts honour `defineMetric` (issue 17): a hidden metric is not charted, a step metric is the default x-axis. */
describe('defineMetric on the run page in Chromium', () => {
  let dataDir: string;
  let runsDir: string;
  let coordinator: Coordinator;
  let url = '';

  beforeAll(async () => {
    if (!existsSync(WEB_DIST)) throw new Error(`${WEB_DIST} is missing: run \`npm run build\` first (\`npm test\` does)`);
    dataDir = await mkdtemp(join(tmpdir(), 'cohort-web-def-data-'));
    runsDir = await mkdtemp(join(tmpdir(), 'cohort-web-def-runs-'));
    coordinator = await startCoordinator({ dataDir, grpcPort: 0, httpPort: 0 });
    process.env['COHORT_URL'] = coordinator.httpUrl;
    await withRun({ project: 'web-define', dir: runsDir, settings: { silent: true, systemMetricsSeconds: 0, console: 'off' } }, (run) => {
      url = run.url!;
      run.defineMetric('epoch', { hidden: true });
      run.defineMetric('val/*', { stepMetric: 'epoch' });
      run.defineMetric('debug/grad_norm', { hidden: true });
      for (let s = 0; s < 30; s++) {
        run.log({ 'train/loss': 1 / (s + 1), 'debug/grad_norm': s, ...(s % 10 === 9 && { epoch: (s + 1) / 10, 'val/acc': s / 30 }) });
      }
    });
  });
  afterAll(async () => {
    await coordinator?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(runsDir, { recursive: true, force: true });
  });

  it('serves the merged definitions with the run', async () => {
    const view = (await (await fetch(`${coordinator.httpUrl}/api/v1/runs/${url.split('/').slice(-4, -2).join('/')}/${url.split('/').at(-1)}`)).json()) as { metrics: unknown[] };
    expect(view.metrics).toEqual([
      { name: 'epoch', stepMetric: '', hidden: true, summary: '', goal: '' },
      { name: 'val/*', stepMetric: 'epoch', hidden: false, summary: '', goal: '' },
      { name: 'debug/grad_norm', stepMetric: '', hidden: true, summary: '', goal: '' },
    ]);
  });

  it('charts no hidden metric and draws val/acc against its step metric', async () => {
    await using browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(url);
    await page.waitForFunction(() => window.__cohort?.ready?.['run'] === true, null, { timeout: 30_000 });
    const keys = async (): Promise<string[]> => (await page.evaluate(() => Object.keys(window.__cohort.charts))).filter((k) => !k.startsWith('media:')).sort();
    expect(await keys()).toEqual(['train/loss', 'val/acc']);
    expect(await page.locator('[data-testid=hidden-metrics]').textContent()).toBe('2 hidden by defineMetric: debug/grad_norm, epoch');
    const acc = (await page.evaluate(() => window.__cohort.charts['val/acc']!.drawn())) as number[][];
    expect(acc[0]).toEqual([1, 2, 3]);
    expect(acc[1]).toEqual([9 / 30, 19 / 30, 29 / 30]);
    expect(await page.evaluate(() => window.__cohort.charts['val/acc']!.uplot.series[0]!.label)).toBe('epoch');
    const loss = (await page.evaluate(() => window.__cohort.charts['train/loss']!.drawn())) as number[][];
    expect(loss[0]).toEqual(Array.from({ length: 30 }, (_, i) => i));
    // Asked for, the hidden metrics are charted; an explicit x-axis applies to every chart.
    await page.check('[data-testid=show-hidden]');
    await page.waitForFunction(() => window.__cohort.charts['debug/grad_norm'] !== undefined);
    expect(await keys()).toEqual(['debug/grad_norm', 'epoch', 'train/loss', 'val/acc']);
    await page.selectOption('[data-testid=x-axis]', '_step');
    await page.waitForFunction(() => window.__cohort.charts['val/acc']?.uplot.series[0]?.label === '_step');
    expect(((await page.evaluate(() => window.__cohort.charts['val/acc']!.drawn())) as number[][])[0]).toEqual([9, 19, 29]);
  });
});
