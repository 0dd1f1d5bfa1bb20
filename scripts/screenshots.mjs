// Takes the README's screenshots of the dashboard: a coordinator on free
// ports with a fresh data folder, the demo data of scripts/dashboard-seed.mjs,
// and headless Chromium. Run after `npm run build`:
//   node scripts/screenshots.mjs   → docs/screenshots/{runs,workspace,run,group,artifact,registry,sweep}.png
// SHOTS=sweep.png,run.png retakes only those.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startCoordinator } from '@cohort/coordinator';
import { agent, init, sweep } from '@cohort/sdk';
import { seedDashboard } from './dashboard-seed.mjs';

/** A bayes sweep of 30 trials (one failing) over a made-up loss, run by the SDK's in-process agent. */
async function seedSweep(url, dir) {
  const server = { url, project: 'sweeps-demo' };
  const id = await sweep(
    {
      method: 'bayes',
      metric: { name: 'val_loss', goal: 'minimize' },
      parameters: {
        lr: { distribution: 'log_uniform_values', min: 1e-5, max: 1e-1 },
        optimizer: { values: ['adam', 'adamw', 'sgd'] },
        dropout: { distribution: 'uniform', min: 0, max: 0.5 },
        layers: { min: 2, max: 8 },
      },
    },
    server,
  );
  let n = 0;
  await agent(
    id,
    async ({ params }) => {
      n++;
      const run = await init({ dir: join(dir, `t${n}`), settings: { silent: true, console: 'off' } });
      if (n === 5) throw new Error('diverged');
      const loss = 0.3 * (Math.log10(params.lr) + 3) ** 2 + (params.optimizer === 'sgd' ? 0.4 : 0) + Math.abs(params.dropout - 0.2) + 0.05 * Math.abs(params.layers - 5);
      for (let step = 0; step < 5; step++) run.log({ val_loss: loss + (4 - step) * 0.05 });
    },
    { ...server, count: 30, heartbeatSeconds: 5 },
  );
  return id;
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const out = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'cohort-shots-'));
mkdirSync(out, { recursive: true });

const coordinator = await startCoordinator({ dataDir: join(tmp, 'data'), grpcPort: 0, httpPort: 0 });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
try {
  const seeded = await seedDashboard({ url: coordinator.httpUrl, dir: join(tmp, 'runs'), systemSeconds: 0.25 });
  const sweepId = await seedSweep(coordinator.httpUrl, join(tmp, 'sweep'));
  // Each page is ready when its `window.__cohort.ready` flag is set, or else when the selector shows.
  const shots = [
    ['runs.png', `/local/${seeded.project}`, '[data-testid=runs]'],
    ['workspace.png', `/local/${seeded.project}/workspace?runs=${[...seeded.ranks, seeded.baseline].join(',')}`, 'workspace'],
    ['run.png', `/local/${seeded.project}/runs/${seeded.ranks[0]}`, 'run'],
    ['group.png', `/local/${seeded.project}/groups/${seeded.group}`, 'group'],
    ['artifact.png', `/local/${seeded.project}/artifacts/resnet-weights`, '[data-testid=lineage]'],
    ['registry.png', '/local/model-registry/artifacts', '[data-testid=registered-models]'],
    ['sweep.png', `/local/sweeps-demo/sweeps/${sweepId}`, 'sweep'],
  ];
  const only = process.env.SHOTS?.split(',');
  for (const [file, path, ready] of shots.filter(([file]) => !only || only.includes(file))) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
    await page.goto(`${coordinator.httpUrl}${path}`);
    if (ready.startsWith('[')) await page.waitForSelector(ready);
    else await page.waitForFunction((k) => window.__cohort?.ready?.[k] === true, ready);
    // Media load after the page is ready: every image decoded, every HTML media frame loaded. Chromium
    // paints a sandboxed (out-of-process) frame only inside the viewport: the viewport grows to the page.
    await page.waitForFunction(() => [...document.images].every((img) => img.complete));
    for (const frame of page.frames()) await frame.waitForLoadState('load');
    await page.setViewportSize({ width: 1400, height: Math.max(900, await page.evaluate(() => document.documentElement.scrollHeight)) });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(out, file), fullPage: true });
    await page.close();
    console.log(`wrote docs/screenshots/${file}`);
  }
} finally {
  await browser.close();
  await coordinator.close();
  rmSync(tmp, { recursive: true, force: true });
}
