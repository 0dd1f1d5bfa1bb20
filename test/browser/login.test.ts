import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, startCoordinator, type Coordinator } from '@cohort/coordinator';
import { init } from '@cohort/sdk';
import { launchChromium } from './browser.js';

const WEB_DIST = join(import.meta.dirname, '../../apps/web/dist/index.html');

/** The dashboard of a server with API keys, in a real headless Chromium: a login with a key shows only its team's runs. */
describe('the dashboard behind a login', () => {
  let runsDir: string;
  let coordinator: Coordinator;
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    if (!existsSync(WEB_DIST)) throw new Error(`${WEB_DIST} is missing: run \`npm run build\` first (\`npm test\` does)`);
    runsDir = await mkdtemp(join(tmpdir(), 'cohort-login-runs-'));
    coordinator = await startCoordinator({ auth: 'keys', grpcPort: 0, httpPort: 0 });
    const identity = coordinator.engine.store.identity;
    for (const [user, team] of [['alice', 'vision'], ['bob', 'nlp']] as const) {
      await identity.ensureUser(user);
      await identity.ensureTeam(team);
      await identity.addMember(team, user);
      const k = generateApiKey();
      await identity.createKey({ id: k.id, user, label: 'browser', hash: k.hash, createdAt: Date.now() / 1000 });
      keys[team] = k.key;
    }
    process.env['COHORT_URL'] = coordinator.httpUrl;
    try {
      for (const team of ['vision', 'nlp']) {
        const run = await init({ project: `${team}-project`, entity: team, apiKey: keys[team]!, dir: runsDir, settings: { silent: true, systemMetricsSeconds: 0, console: 'off' } });
        run.log({ loss: 1 });
        await run.finish();
      }
    } finally {
      delete process.env['COHORT_URL'];
    }
  }, 60_000);

  afterAll(async () => {
    await coordinator?.close();
    await rm(runsDir, { recursive: true, force: true });
  });

  it('sends an unauthenticated visitor to the login page, and after a login with a key shows only its team\'s projects', async () => {
    await using browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`${coordinator.httpUrl}/`);
    await page.waitForSelector('[data-testid=login]');
    await page.fill('[data-testid=api-key]', 'ck_wrong');
    await page.click('button[type=submit]');
    await page.waitForFunction(() => (document.querySelector('[data-testid=login-error]')?.textContent ?? '') !== '');
    expect(await page.textContent('[data-testid=login-error]')).toContain('not a Cohort key');

    await page.fill('[data-testid=api-key]', keys['vision']!);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=projects]');
    const text = await page.textContent('[data-testid=projects]');
    expect(text).toContain('vision-project');
    expect(text).not.toContain('nlp-project');
    const cookies = await page.context().cookies();
    expect(cookies).toEqual([expect.objectContaining({ name: 'cohort_session', httpOnly: true, sameSite: 'Strict' })]);

    await page.goto(`${coordinator.httpUrl}/nlp/nlp-project`);
    await page.waitForSelector('[data-testid=error]');
    expect(await page.textContent('[data-testid=error]')).toContain('NOT_FOUND');
  });

  it('stays on this origin after a login whose next path would leave it', async () => {
    await using browser = await launchChromium();
    const origin = new URL(coordinator.httpUrl).origin;
    for (const next of ['/%5Cevil.test/x', '/%09/evil.test/x']) {
      const page = await browser.newPage();
      await page.goto(`${coordinator.httpUrl}/login?next=${next}`);
      await page.waitForSelector('[data-testid=login]');
      await page.fill('[data-testid=api-key]', keys['vision']!);
      await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
      expect([next, new URL(page.url()).origin]).toEqual([next, origin]);
      await page.close();
    }
  });
});
