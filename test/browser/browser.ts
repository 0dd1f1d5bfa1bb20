import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Where `.ci/run` installs Chromium (`apt-get install -y chromium`); `CHROMIUM_PATH` overrides. */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** The flags of every headless Chromium the tests start. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A headless Chromium, closed by `await using`. Fails with what to install when it is missing. */
export async function launchChromium(): Promise<Browser & AsyncDisposable> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does) or set CHROMIUM_PATH`);
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
  return Object.assign(browser, { [Symbol.asyncDispose]: () => browser.close() });
}

/** The dashboard's test hooks (apps/web/src/chart.ts), as the tests read them inside the page. */
export interface DashboardHooks {
  charts: Record<string, { drawn(): number[][]; labels(): string[]; axes(): Array<{ labels: string[]; size: number; font: string }>; uplot: { scales: Record<string, { distr?: number }>; bands?: unknown[]; series: Array<{ label?: unknown }> } }>;
  ready: Record<string, boolean>;
}

declare global {
  interface Window {
    __cohort: DashboardHooks;
  }
}
