import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { withRun } from '@cohort/sdk';
import { launchChromium } from './browser.js';

const WEB_DIST = join(import.meta.dirname, '../../apps/web/dist/index.html');

/**
 * System metrics on the run page (issue 17): CPU, memory and, per GPU, its
 * utilisation, memory, power and temperature, as the SDK samples them. This
 * machine has no GPU: an `nvidia-smi` on PATH prints two GPUs in the CSV
 * the real one writes for the SDK's query (packages/sdk/src/system-metrics.ts).
 */
describe('system metrics on the run page in Chromium', () => {
  let dataDir: string;
  let runsDir: string;
  let coordinator: Coordinator;
  let url = '';
  const path = process.env['PATH'];

  beforeAll(async () => {
    if (!existsSync(WEB_DIST)) throw new Error(`${WEB_DIST} is missing: run \`npm run build\` first (\`npm test\` does)`);
    dataDir = await mkdtemp(join(tmpdir(), 'cohort-web-sys-data-'));
    runsDir = await mkdtemp(join(tmpdir(), 'cohort-web-sys-runs-'));
    const bin = join(runsDir, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'nvidia-smi'), '#!/bin/sh\necho "0, 87, 40, 30000, 81559, 61, 312.45"\necho "1, 12, 5, 2000, 81559, 44, 95.5"\n');
    await chmod(join(bin, 'nvidia-smi'), 0o755);
    process.env['PATH'] = `${bin}${delimiter}${path ?? ''}`;
    coordinator = await startCoordinator({ dataDir, grpcPort: 0, httpPort: 0 });
    process.env['COHORT_URL'] = coordinator.httpUrl;
    // Two ranks of a group (one after the other: one run per process at a time), sampled alike.
    for (const rank of [0, 1]) {
      await withRun({ project: 'web-sys', group: 'g', rank, worldSize: 2, dir: join(runsDir, `rank-${rank}`), settings: { silent: true, systemMetricsSeconds: 0.2, console: 'off' } }, async (run) => {
        for (let s = 0; s < 6; s++) {
          run.log({ loss: 1 / (s + 1) });
          await new Promise((r) => setTimeout(r, 150));
        }
      });
    }
    await withRun({ project: 'web-sys', dir: join(runsDir, 'single'), settings: { silent: true, systemMetricsSeconds: 0.2, console: 'off' } }, async (run) => {
      url = run.url!;
      for (let s = 0; s < 10; s++) {
        run.log({ loss: 1 / (s + 1) });
        await new Promise((r) => setTimeout(r, 150));
      }
    });
  });
  afterAll(async () => {
    process.env['PATH'] = path;
    await coordinator?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(runsDir, { recursive: true, force: true });
  });

  it('charts CPU, memory and each GPU', async () => {
    await using browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    await page.goto(url);
    await page.waitForFunction(() => window.__cohort?.ready?.['system'] === true, null, { timeout: 30_000 });
    const ids = (await page.evaluate(() => Object.keys(window.__cohort.charts))).filter((k) => k.startsWith('system:')).sort();
    expect(ids).toEqual(expect.arrayContaining(['system:system/cpu_percent', 'system:system/memory_percent', 'system:system/gpu.utilization_percent', 'system:system/gpu.memory_used_mib', 'system:system/gpu.power_w', 'system:system/gpu.temperature_c']));
    const power = await page.evaluate(() => {
      const c = window.__cohort.charts['system:system/gpu.power_w']!;
      return { labels: c.labels(), drawn: c.drawn(), x: c.axes()[0]!.labels };
    });
    expect(power.labels).toEqual(['gpu 0', 'gpu 1']);
    expect(power.drawn[0]!.length).toBeGreaterThanOrEqual(2);
    expect(new Set(power.drawn[1])).toEqual(new Set([312.45]));
    expect(new Set(power.drawn[2])).toEqual(new Set([95.5]));
    // x is time since the run started, ticked as durations.
    for (const l of power.x) expect(l).toMatch(/^(0|\d+(\.\d)?s)$/);
    expect(await page.locator('[data-testid=system] .chart-card[data-key="system/gpu.temperature_c"] .chart-title').textContent()).toBe('GPU temperature (°C)');
    expect(await page.locator('[data-testid=system] .chart-card[data-key="system/proc.memory_rss_mib"] .chart-title').textContent()).toBe('process memory rss (MiB)');
    if (process.platform === 'linux') {
      // Disk and network, read from /proc: MiB since the first sample, and the root filesystem in use.
      expect(ids).toEqual(expect.arrayContaining(['system:system/disk_percent', 'system:system/disk_read_mib', 'system:system/disk_written_mib', 'system:system/network_received_mib', 'system:system/network_sent_mib']));
      expect(await page.locator('[data-testid=system] .chart-card[data-key="system/network_received_mib"] .chart-title').textContent()).toBe('network received (MiB)');
      const disk = await page.evaluate(() => window.__cohort.charts['system:system/disk_percent']!.drawn()[1]!);
      for (const v of disk) expect(v).toBeGreaterThan(0);
    }
  });

  it('charts every rank\'s GPUs on the group page', async () => {
    await using browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    await page.goto(`${coordinator.httpUrl}/local/web-sys/groups/g`);
    await page.waitForFunction(() => window.__cohort?.ready?.['system'] === true, null, { timeout: 30_000 });
    const power = await page.evaluate(() => {
      const c = window.__cohort.charts['system:system/gpu.power_w']!;
      return { labels: c.labels(), drawn: c.drawn() };
    });
    expect(power.labels).toEqual(['rank 0 gpu 0', 'rank 0 gpu 1', 'rank 1 gpu 0', 'rank 1 gpu 1']);
    const values = (i: number): Set<number> => new Set(power.drawn[i]!.filter((v) => !Number.isNaN(v)));
    expect([values(1), values(2), values(3), values(4)]).toEqual([new Set([312.45]), new Set([95.5]), new Set([312.45]), new Set([95.5])]);
  });
});
