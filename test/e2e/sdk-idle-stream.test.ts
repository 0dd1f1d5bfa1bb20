import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { Api, init } from '@cohort/sdk';

/**
 * An idle record stream is parked (so a script without `finish()` can reach
 * its end; docs/sdk.md, how a run ends) yet the run stays alive: heartbeats
 * open it briefly, and the next record opens it again.
 */
describe('an idle online run', () => {
  let dataDir: string;
  let coordinator: Coordinator;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cohort-idle-'));
    // A run whose heartbeats stop is crashed within ~2 s here.
    coordinator = await startCoordinator({ dataDir, grpcPort: 0, httpPort: 0, heartbeatTimeoutSeconds: 2, sweepIntervalMs: 200 });
    process.env['COHORT_URL'] = coordinator.httpUrl;
  });
  afterAll(async () => {
    await coordinator.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps heartbeating while its stream is parked, and commits what it logs after', async () => {
    const run = await init({ project: 'idle', dir: join(dataDir, 'runs'), settings: { silent: true, heartbeatSeconds: 0.3, systemMetricsSeconds: 0, console: 'off' } });
    run.log({ x: 0 });
    await run.flush();
    // Idle for three heartbeat time-outs: the stream parks after 1 s; only heartbeats go out.
    await new Promise((r) => setTimeout(r, 6000));
    const api = new Api({ baseUrl: coordinator.httpUrl });
    expect((await api.run(`local/idle/${run.id}`)).state).toBe('running');
    run.log({ x: 1 });
    await run.flush();
    await run.finish();
    const back = await api.run(`local/idle/${run.id}`);
    expect(back.state).toBe('finished');
    expect((await back.history({ keys: ['x'] })).map((r) => r['x'])).toEqual([0, 1]);
    // Never marked crashed on the way.
    expect((await back.stateHistory()).map((e) => e.state)).toEqual(['running', 'finished']);
  }, 30_000);
});
