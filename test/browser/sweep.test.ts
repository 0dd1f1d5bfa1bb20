import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { agent, init, sweep } from '@cohort/sdk';
import { launchChromium } from './browser.js';

const WEB_DIST = join(import.meta.dirname, '../../apps/web/dist/index.html');

/**
 * The sweep page (issue 18) over a real server: a grid sweep run by the SDK's
 * agent — five trials, one of which fails — drawn as parallel coordinates,
 * the metric per trial with the best so far, importance and the trials table.
 */
describe('the sweep page in Chromium', () => {
  let dataDir: string;
  let runsDir: string;
  let coordinator: Coordinator;
  let sweepId = '';
  const losses: Record<string, number> = {};

  beforeAll(async () => {
    if (!existsSync(WEB_DIST)) throw new Error(`${WEB_DIST} is missing: run \`npm run build\` first (\`npm test\` does)`);
    dataDir = await mkdtemp(join(tmpdir(), 'cohort-web-sweep-data-'));
    runsDir = await mkdtemp(join(tmpdir(), 'cohort-web-sweep-runs-'));
    coordinator = await startCoordinator({ dataDir, grpcPort: 0, httpPort: 0 });
    const server = { url: coordinator.httpUrl, project: 'web-sweep' };
    process.env['COHORT_URL'] = coordinator.httpUrl;
    sweepId = await sweep(
      {
        method: 'grid',
        name: 'lr and optimizer',
        metric: { name: 'loss', goal: 'minimize' },
        parameters: { lr: { values: [0.1, 0.01, 0.001] }, opt: { values: ['adam', 'sgd'] }, epochs: { value: 3 } },
      },
      server,
    );
    let n = 0;
    await agent(
      sweepId,
      async ({ params, trialId }) => {
        n++;
        const run = await init({ dir: join(runsDir, `t${n}`), settings: { silent: true, console: 'off' } });
        if (n === 3) throw new Error('diverged'); // the third trial fails without a loss
        const loss = Math.abs(Math.log10(params['lr'] as number) + 2) + (params['opt'] === 'adam' ? 0 : 0.5);
        for (let step = 0; step < 3; step++) run.log({ loss: loss + (2 - step) * 0.1 });
        losses[trialId] = loss;
      },
      { ...server, count: 5, heartbeatSeconds: 5 },
    );
  });
  afterAll(async () => {
    await coordinator?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(runsDir, { recursive: true, force: true });
  });

  it('draws the parameters to the metric, the metric over trials, importance and the trials', async () => {
    await using browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 1200 }, locale: 'en-US' });
    await page.goto(`${coordinator.httpUrl}/local/web-sweep/sweeps/${sweepId}`);
    await page.waitForFunction(() => window.__cohort?.ready?.['sweep'] === true, null, { timeout: 30_000 });
    const best = Math.min(...Object.values(losses));
    const bestTrial = Object.keys(losses).find((k) => losses[k] === best)!;

    // Parallel coordinates: an axis per varying parameter (the constant epochs has none), the metric last.
    expect(await page.locator('[data-testid=parallel] .pc-axis').evaluateAll((els) => els.map((e) => e.getAttribute('data-key')))).toEqual(['lr', 'opt', 'loss']);
    expect(await page.locator('[data-testid=parallel] .pc-axis[data-key=opt] .pc-tick').allTextContents()).toEqual(['adam', 'sgd']);
    const lines = await page.locator('[data-testid=parallel] .pc-line').evaluateAll((els) => els.map((e) => ({ trial: e.getAttribute('data-key'), state: e.getAttribute('data-state'), points: (e.getAttribute('d') ?? '').split(/[ML]/).filter(Boolean).length })));
    expect(lines).toHaveLength(5);
    // A finished trial reaches the metric axis; the failed one stops at its parameters.
    expect(lines.filter((l) => l.state === 'finished').every((l) => l.points === 3)).toBe(true);
    expect(lines.filter((l) => l.state === 'failed').map((l) => l.points)).toEqual([2]);
    expect(await page.locator('[data-testid=parallel] .pc-best').getAttribute('data-key')).toBe(bestTrial);

    // The metric of each trial in start order, and the best so far never getting worse.
    const drawn = await page.evaluate(() => {
      const c = window.__cohort.charts['sweep:metric']!;
      return { labels: c.labels(), data: c.drawn() };
    });
    expect(drawn.labels).toEqual(['loss', 'best so far']);
    expect(drawn.data[0]).toEqual([1, 2, 3, 4, 5]);
    const metrics = drawn.data[1]!;
    expect(metrics.filter((v) => Number.isNaN(v))).toHaveLength(1);
    expect(metrics.filter((v) => !Number.isNaN(v)).sort()).toEqual(Object.values(losses).sort());
    const bestSoFar = drawn.data[2]!.filter((v) => !Number.isNaN(v));
    expect(bestSoFar.every((v, i) => i === 0 || v <= bestSoFar[i - 1]!)).toBe(true);
    expect(bestSoFar.at(-1)).toBeCloseTo(best, 9);

    // Importance from the server: one row per numeric parameter, one per value of a categorical of strings.
    const importance = await page.locator('[data-testid=importance-row]').evaluateAll((els) => els.map((e) => e.getAttribute('data-key')));
    expect(importance.sort()).toEqual(['lr', 'opt=adam', 'opt=sgd']);

    // The trials, their states, the best one marked, and the best value in the header.
    const rows = await page.locator('[data-testid=trial]').evaluateAll((els) => els.map((e) => ({ trial: e.getAttribute('data-key'), state: e.getAttribute('data-state'), best: e.querySelector('[data-testid=best-badge]') !== null })));
    expect(rows).toHaveLength(5);
    expect(rows.map((r) => r.state).sort()).toEqual(['failed', 'finished', 'finished', 'finished', 'finished']);
    expect(rows.filter((r) => r.best).map((r) => r.trial)).toEqual([bestTrial]);
    expect(await page.locator('[data-testid=best] strong').textContent()).toBe(String(best));
    expect(await page.locator('[data-testid=trial-count]').textContent()).toBe('5 trials');
    expect(await page.locator('h1').textContent()).toBe(`lr and optimizer sweep ${sweepId} running`);
  });
});
