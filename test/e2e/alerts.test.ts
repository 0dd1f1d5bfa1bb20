import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { init } from '@cohort/sdk';

interface Received {
  path: string;
  body: Record<string, unknown>;
}

/** A local HTTP server standing in for the sinks: `/hook` and `/slack` answer 200, `/broken` 500. */
async function startSinkServer(): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(text) as Record<string, unknown> });
      res.writeHead(req.url === '/broken' ? 500 : 200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

const eventually = async (check: () => unknown, timeoutMs = 10_000): Promise<void> => {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
};

/** Stored alerts delivered by the coordinator to webhook and Slack sinks, with suppression and dead letters. */
describe('alert delivery', () => {
  let runsDir: string;
  let sinks: Awaited<ReturnType<typeof startSinkServer>>;
  let coordinator: Coordinator;

  beforeAll(async () => {
    runsDir = await mkdtemp(join(tmpdir(), 'cohort-alert-runs-'));
    sinks = await startSinkServer();
    coordinator = await startCoordinator({
      grpcPort: 0,
      httpPort: 0,
      alertSinks: [
        { kind: 'webhook', url: `${sinks.url}/hook`, name: 'hook' },
        { kind: 'slack', url: `${sinks.url}/slack`, name: 'slack' },
        { kind: 'webhook', url: `${sinks.url}/broken`, name: 'broken' },
      ],
      alertDelivery: { pollMs: 50, retryBaseMs: 10, maxAttempts: 3 },
    });
    process.env['COHORT_URL'] = coordinator.httpUrl;
  });
  afterAll(async () => {
    delete process.env['COHORT_URL'];
    await coordinator.close();
    await new Promise((r) => sinks.server.close(r));
    await rm(runsDir, { recursive: true, force: true });
  });

  it('posts each unsuppressed alert to every sink once, retries a failing sink, then records a dead letter', async () => {
    const run = await init({ project: 'alerts', dir: runsDir, settings: { silent: true, systemMetricsSeconds: 0 } });
    run.alert('loss diverged', 'loss is NaN at step 10', { level: 'ERROR', waitDuration: 60 });
    run.alert('loss diverged', 'again, within the wait: suppressed', { level: 'ERROR', waitDuration: 60 });
    run.alert('checkpoint saved', 'step 10', { waitDuration: { ms: 1 } });
    await run.flush();
    await new Promise((r) => setTimeout(r, 20));
    run.alert('checkpoint saved', 'step 20', { waitDuration: { ms: 1 } });
    await run.finish();

    await eventually(() => {
      expect(sinks.received.filter((r) => r.path === '/hook')).toHaveLength(3);
      expect(sinks.received.filter((r) => r.path === '/slack')).toHaveLength(3);
      expect(sinks.received.filter((r) => r.path === '/broken')).toHaveLength(9);
    });
    const hooks = sinks.received.filter((r) => r.path === '/hook').map((r) => r.body);
    expect(hooks.map((h) => h['text'])).toEqual(['loss is NaN at step 10', 'step 10', 'step 20']);
    expect(hooks[0]).toMatchObject({ title: 'loss diverged', level: 'ERROR', run: { entity: 'local', project: 'alerts', runId: run.id } });
    expect(String((hooks[0]!['run'] as { url: string }).url)).toContain(`/runs/${run.id}`);
    const slack = sinks.received.find((r) => r.path === '/slack')!.body;
    expect(slack['text']).toMatch(/\*loss diverged\* \(ERROR\)\nloss is NaN at step 10\n<http:.*\|local\/alerts\/.*>/);

    await eventually(async () => {
      const dead = (await (await fetch(`${coordinator.httpUrl}/api/v1/alerts/deliveries?state=dead`)).json()) as { deliveries: Array<{ sink: string; attempts: number; lastError: string }> };
      expect(dead.deliveries).toHaveLength(3);
      for (const d of dead.deliveries) expect(d).toMatchObject({ sink: 'broken', attempts: 3, lastError: 'broken answered HTTP 500' });
    });
    // Nothing is delivered twice, however many polls pass.
    await new Promise((r) => setTimeout(r, 300));
    expect(sinks.received.filter((r) => r.path === '/hook')).toHaveLength(3);
  });
});
