import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { Api, init } from '@cohort/sdk';

function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

describe('the SDK across a coordinator restart', () => {
  let dataDir: string;
  let runsDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cohort-e2e-data-'));
    runsDir = await mkdtemp(join(tmpdir(), 'cohort-e2e-runs-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
    await rm(runsDir, { recursive: true, force: true });
  });

  it('resends after a restart so every row lands exactly once', async () => {
    let coordinator: Coordinator = await startCoordinator({ dataDir, grpcPort: 0, httpPort: 0 });
    const grpcPort = portOf(coordinator.grpcAddress);
    const httpPort = portOf(coordinator.httpUrl);
    process.env['COHORT_URL'] = coordinator.httpUrl;
    const run = await init({ project: 'e2e-reconnect', dir: runsDir, settings: { silent: true, flushIntervalMs: 5 } });
    for (let i = 0; i < 100; i++) run.log({ i });
    await run.flush();
    await coordinator.close();
    // Logged while the server is down: kept in the WAL.
    for (let i = 100; i < 200; i++) run.log({ i });
    await new Promise((r) => setTimeout(r, 300));
    coordinator = await startCoordinator({ dataDir, grpcPort, httpPort });
    try {
      for (let i = 200; i < 300; i++) run.log({ i });
      await run.finish();
      expect(run.status).toBeDefined();
      const api = new Api({ baseUrl: coordinator.httpUrl });
      const back = await api.run(`${run.entity}/e2e-reconnect/${run.id}`);
      const steps: unknown[] = [];
      const values: unknown[] = [];
      for await (const row of back.scanHistory({ pageSize: 64 })) {
        steps.push(row['_step']);
        values.push(row['i']);
      }
      expect(steps).toEqual(Array.from({ length: 300 }, (_, i) => i));
      expect(values).toEqual(Array.from({ length: 300 }, (_, i) => i));
      expect(back.state).toBe('finished');
    } finally {
      await coordinator.close();
    }
  });
});
