import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCoordinator } from '@cohort/coordinator';
import { Api, init } from '@cohort/sdk';

/**
 * A TCP proxy to `target` that lets `cut(n)` decide, per connection (0-based),
 * after how many bytes from the server the connection is destroyed (`undefined`: never).
 */
async function flakyProxy(target: string, cut: (n: number) => number | undefined) {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((client) => {
    const limit = cut(connections++);
    const upstream = createConnection({ host, port });
    sockets.add(client).add(upstream);
    let fromServer = 0;
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      fromServer += d.length;
      if (limit !== undefined && fromServer > limit) {
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(d);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    [Symbol.asyncDispose]: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('init() when the connection drops during OpenRun', () => {
  it('tries again and resumes the run its lost try created, so the run exists once and logs', async () => {
    await using coordinator = await startCoordinator({ grpcPort: 0, httpPort: 0 });
    // Connection 0 is the endpoint lookup (GetServerInfo); connection 1 carries OpenRun and is cut
    // once the server has sent its settings and starts its answer: the run is created, the reply lost.
    await using proxy = await flakyProxy(coordinator.grpcAddress, (n) => (n === 1 ? 60 : undefined));
    const dir = await mkdtemp(join(tmpdir(), 'cohort-open-retry-'));
    const url = process.env['COHORT_URL'];
    process.env['COHORT_URL'] = proxy.address;
    try {
      const run = await init({ project: 'open-retry', dir, settings: { console: 'off', systemMetricsSeconds: 0, handleSigterm: false } });
      expect(proxy.connections()).toBeGreaterThanOrEqual(3);
      for (let step = 0; step < 20; step++) run.log({ loss: 1 / (step + 1) });
      await run.finish();
      const api = new Api({ baseUrl: coordinator.httpUrl });
      const runs = await api.runs('local/open-retry');
      expect(runs.map((r) => r.id)).toEqual([run.id]);
      const read = await api.run(`local/open-retry/${run.id}`);
      expect(read.state).toBe('finished');
      expect(read.summary['_step']).toBe(19);
    } finally {
      if (url === undefined) delete process.env['COHORT_URL'];
      else process.env['COHORT_URL'] = url;
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('tries the server lookup again when its connection drops, within one init deadline', async () => {
    await using coordinator = await startCoordinator({ grpcPort: 0, httpPort: 0 });
    // Connections 0 and 1 are cut as soon as the server speaks: two GetServerInfo tries fail UNAVAILABLE.
    await using proxy = await flakyProxy(coordinator.grpcAddress, (n) => (n < 2 ? 0 : undefined));
    const dir = await mkdtemp(join(tmpdir(), 'cohort-open-retry-'));
    const url = process.env['COHORT_URL'];
    process.env['COHORT_URL'] = proxy.address;
    try {
      const run = await init({ project: 'lookup-retry', dir, settings: { console: 'off', systemMetricsSeconds: 0, handleSigterm: false, initTimeoutMs: 20_000 } });
      expect(proxy.connections()).toBeGreaterThanOrEqual(3);
      run.log({ loss: 1 });
      await run.finish();
      expect((await new Api({ baseUrl: coordinator.httpUrl }).run(`local/lookup-retry/${run.id}`)).state).toBe('finished');
    } finally {
      if (url === undefined) delete process.env['COHORT_URL'];
      else process.env['COHORT_URL'] = url;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
