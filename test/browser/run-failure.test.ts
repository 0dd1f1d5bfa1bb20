import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { withRun } from '@cohort/sdk';
import { launchChromium } from './browser.js';

const WEB_DIST = join(import.meta.dirname, '../../apps/web/dist/index.html');

/** The run page shows why a run ended badly: the exit code and the error's stack (docs/sdk.md, how a run ends). */
describe('the run page of a failed run in Chromium', () => {
  let dataDir: string | undefined;
  let runsDir: string | undefined;
  let coordinator: Coordinator;

  beforeAll(async () => {
    if (!existsSync(WEB_DIST)) throw new Error(`${WEB_DIST} is missing: run \`npm run build\` first (\`npm test\` does)`);
    dataDir = await mkdtemp(join(tmpdir(), 'cohort-web-fail-data-'));
    runsDir = await mkdtemp(join(tmpdir(), 'cohort-web-fail-runs-'));
    coordinator = await startCoordinator({ dataDir, grpcPort: 0, httpPort: 0 });
  });
  afterAll(async () => {
    await coordinator?.close();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
    if (runsDir !== undefined) await rm(runsDir, { recursive: true, force: true });
  });

  it('shows the exit code and the error with its stack', async () => {
    process.env['COHORT_URL'] = coordinator.httpUrl;
    let url = '';
    await expect(
      withRun({ project: 'web-fail', dir: runsDir!, settings: { silent: true, systemMetricsSeconds: 0, console: 'off' } }, (run) => {
        url = run.url!;
        run.log({ loss: 1 });
        throw new Error('NaN loss at step 1');
      }),
    ).rejects.toThrow('NaN loss at step 1');
    await using browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(url);
    const failure = page.locator('[data-testid=run-failure]');
    await failure.waitFor({ timeout: 30_000 });
    const text = (await failure.textContent()) ?? '';
    expect(text).toMatch(/^exit code 1: Error: NaN loss at step 1\n\s+at /);
    // The state history keeps to one line per event.
    expect(await page.locator('[data-testid=state-history] li').last().textContent()).toMatch(/failed.*exit code 1: Error: NaN loss at step 1$/);
  });
});
