import { createServer, type Server } from 'node:net';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Engine } from '@cohort/engine';
import { openSqliteStore } from '@cohort/store';
import { startCoordinator } from '../src/index.js';
import { freePort } from '../../../test/harness/free-port.js';
import { tempDir } from './helpers.js';

/** Listens on `port` (0: any) of 127.0.0.1 with a plain TCP server; rejects when the port is taken. */
async function hold(port: number): Promise<Server & AsyncDisposable> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return Object.assign(server, { [Symbol.asyncDispose]: () => new Promise<void>((r) => server.close(() => r())) });
}

/** A logger at debug level whose lines land in `lines`. */
function capture(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, logger: pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }) };
}

const partsLogged = (lines: ReadonlyArray<Record<string, unknown>>, msg: string) => lines.filter((l) => l['msg'] === msg).map((l) => l['part']);

describe('coordinator lifecycle', () => {
  it('a gRPC port in use stops the parts started before it (HTTP and metrics ports released, the store closed) and rethrows', async () => {
    await using dir = await tempDir();
    await using taken = await hold(0);
    const grpcPort = (taken.address() as { port: number }).port;
    const [httpPort, metricsPort] = [await freePort(), await freePort()];
    const { logger, lines } = capture();
    await expect(startCoordinator({ dataDir: dir.path, grpcPort, httpPort, metricsPort, logger })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining(`cannot serve gRPC on 127.0.0.1:${grpcPort}`) as string,
    });
    expect(partsLogged(lines, 'part started')).toEqual(['engine', 'assets', 'housekeeping', 'queues', 'metrics-http', 'http']);
    expect(partsLogged(lines, 'part stopped')).toEqual(['http', 'metrics-http', 'queues', 'housekeeping', 'assets', 'engine']);
    // Both HTTP ports are free again.
    await (await hold(httpPort))[Symbol.asyncDispose]();
    await (await hold(metricsPort))[Symbol.asyncDispose]();
    // The store was closed and can be served again, on the same ports.
    await taken[Symbol.asyncDispose]();
    await using again = await startCoordinator({ dataDir: dir.path, grpcPort, httpPort, metricsPort });
    expect((await fetch(`${again.httpUrl}/healthz`)).status).toBe(200);
  });

  it('an HTTP port in use fails before gRPC starts; an engine it was given stays open', async () => {
    await using taken = await hold(0);
    const httpPort = (taken.address() as { port: number }).port;
    const engine = new Engine(openSqliteStore(':memory:'));
    try {
      const { logger, lines } = capture();
      await expect(startCoordinator({ engine, grpcPort: 0, httpPort, logger })).rejects.toMatchObject({ code: 'UNAVAILABLE', message: `cannot serve HTTP on 127.0.0.1:${httpPort}: EADDRINUSE` });
      expect(partsLogged(lines, 'part started')).not.toContain('grpc');
      expect(partsLogged(lines, 'part stopped')).toEqual(['queues', 'housekeeping', 'assets', 'engine']);
      // Not the coordinator's to close: it still answers.
      expect((await engine.listRuns('local', 'p')).runs).toEqual([]);
    } finally {
      await engine.close();
    }
  });

  it('stops its parts in reverse order of their start, once, however often close is called', async () => {
    const { logger, lines } = capture();
    const coordinator = await startCoordinator({ grpcPort: 0, httpPort: 0, metricsPort: 0, logger });
    const started = partsLogged(lines, 'part started');
    expect(started).toEqual(['engine', 'assets', 'housekeeping', 'queues', 'metrics-http', 'http', 'grpc', 'alerts']);
    await Promise.all([coordinator.close(), coordinator.close()]);
    expect(partsLogged(lines, 'part stopped')).toEqual([...started].reverse());
    expect(coordinator.stats().state).toBe('closed');
    await expect(fetch(`${coordinator.httpUrl}/healthz`)).rejects.toThrow();
  });

  it('a bad option names the field and the rule before anything starts', async () => {
    await expect(startCoordinator({ grpcPort: 70_000 })).rejects.toThrow('Expected `grpcPort` to be an integer from 0 to 65535, got `70000` (number)');
    await expect(startCoordinator({ scaled: { redisUrl: 'redis://127.0.0.1:1', postgresUrl: 'mysql://x' } })).rejects.toThrow(
      'Expected `scaled.postgresUrl` to be a postgres:// URL, got `mysql://x` (string)',
    );
  });
});
