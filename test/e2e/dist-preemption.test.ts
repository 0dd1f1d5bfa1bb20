import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { Api, init } from '@cohort/sdk';
import { eventually } from './dist-harness.js';

/** A fake metadata server: answers `quiet` until `notice()` is called, then the cloud's preemption notice. */
async function metadataServer(quiet: { status: number; body: string }, loud: { status: number; body: string }) {
  let noticed = false;
  const headers: Array<Record<string, string | string[] | undefined>> = [];
  const server: Server = createServer((req, res) => {
    headers.push(req.headers);
    const a = noticed ? loud : quiet;
    res.writeHead(a.status, { 'content-type': 'text/plain' }).end(a.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notice`,
    headers,
    notice: () => {
      noticed = true;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('preemption notices and resume', () => {
  let dataDir: string;
  let runsDir: string;
  let coordinator: Coordinator;
  let api: Api;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cohort-preempt-data-'));
    runsDir = await mkdtemp(join(tmpdir(), 'cohort-preempt-runs-'));
    coordinator = await startCoordinator({ dataDir, grpcPort: 0, httpPort: 0 });
    api = new Api({ baseUrl: coordinator.httpUrl });
  });
  afterAll(async () => {
    await coordinator.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(runsDir, { recursive: true, force: true });
  });

  it.each([
    ['aws', { status: 404, body: 'Not Found' }, { status: 200, body: '{"action":"terminate","time":"2026-11-26T18:00:00Z"}' }, undefined],
    ['gce', { status: 200, body: 'FALSE' }, { status: 200, body: 'TRUE' }, ['metadata-flavor', 'Google']],
    ['azure', { status: 200, body: '{"Events":[]}' }, { status: 200, body: '{"Events":[{"EventType":"Preempt"}]}' }, ['metadata', 'true']],
  ] as const)('marks the run preempting on the %s notice, and the restarted rank resumes it', async (cloud, quiet, loud, header) => {
    const meta = await metadataServer(quiet, loud);
    const options = { project: 'notices', group: `spot-${cloud}`, rank: 0, worldSize: 1, dir: runsDir } as const;
    const settings = { silent: true, flushIntervalMs: 5, handleSigterm: false, systemMetricsSeconds: 0, preemptionNotices: { [cloud]: meta.url, intervalMs: 20 } };
    process.env['COHORT_URL'] = coordinator.httpUrl;
    try {
      const run = await init({ ...options, settings });
      for (let i = 0; i < 10; i++) run.log({ loss: i });
      await run.flush();
      await new Promise((r) => setTimeout(r, 60));
      expect((await api.run(`local/notices/${run.id}`)).state).toBe('running');
      meta.notice();
      await eventually(async () => ((await api.run(`local/notices/${run.id}`)).state === 'preempting' ? true : undefined), 5000, 'preempting');
      if (header) expect(meta.headers.at(-1)![header[0]]).toBe(header[1]);
      await run.finish(143);
      expect((await api.run(`local/notices/${run.id}`)).state).toBe('preempted');

      // The pod comes back: same group and rank, so the same run, resumed after its last step.
      const again = await init({ ...options, settings: { silent: true, handleSigterm: false, systemMetricsSeconds: 0 } });
      expect(again.id).toBe(run.id);
      expect(again.resumed).toBe(true);
      expect(again.startingStep).toBe(10);
      again.log({ loss: 10 });
      await again.finish();
      const back = await api.run(`local/notices/${run.id}`);
      expect(back.state).toBe('finished');
      expect((await back.history({ keys: ['loss'] })).map((r) => r['_step'])).toEqual(Array.from({ length: 11 }, (_, i) => i));
    } finally {
      delete process.env['COHORT_URL'];
      await meta.close();
    }
  });
});
