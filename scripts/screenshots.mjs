// Takes the README's screenshots of the dashboard: a coordinator on free
// ports with a fresh data folder, the demo data of scripts/dashboard-seed.mjs,
// and headless Chromium. Run after `npm run build`:
//   node scripts/screenshots.mjs   → docs/screenshots/{runs,workspace,run,group,artifact,registry}.png
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startCoordinator } from '@cohort/coordinator';
import { seedDashboard } from './dashboard-seed.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const out = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'cohort-shots-'));
mkdirSync(out, { recursive: true });

const coordinator = await startCoordinator({ dataDir: join(tmp, 'data'), grpcPort: 0, httpPort: 0 });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
try {
  const seeded = await seedDashboard({ url: coordinator.httpUrl, dir: join(tmp, 'runs') });
  // Each page is ready when its `window.__cohort.ready` flag is set, or else when the selector shows.
  const shots = [
    ['runs.png', `/local/${seeded.project}`, '[data-testid=runs]'],
    ['workspace.png', `/local/${seeded.project}/workspace?runs=${[...seeded.ranks, seeded.baseline].join(',')}`, 'workspace'],
    ['run.png', `/local/${seeded.project}/runs/${seeded.ranks[0]}`, 'run'],
    ['group.png', `/local/${seeded.project}/groups/${seeded.group}`, 'group'],
    ['artifact.png', `/local/${seeded.project}/artifacts/resnet-weights`, '[data-testid=lineage]'],
    ['registry.png', '/local/model-registry/artifacts', '[data-testid=registered-models]'],
  ];
  for (const [file, path, ready] of shots) {
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
