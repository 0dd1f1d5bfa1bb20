import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { httpServerPart } from './http-part.js';
import { startParts, type Part } from './parts.js';

const log = { debug: () => undefined, warn: () => undefined };
const options = { what: 'test', log, shutdownTimeoutMs: 2000 };

/** A TCP port held by a plain server until closed. */
async function holdPort(port = 0): Promise<{ port: number; server: NetServer }> {
  const server = createNetServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return { port: (server.address() as { port: number }).port, server };
}

async function release(server: NetServer): Promise<void> {
  await new Promise<void>((r) => server.close(() => r()));
}

describe('startParts', () => {
  it('starts parts in order and stops them in reverse, each once', async () => {
    const events: string[] = [];
    const part = (name: string): Part => ({
      name,
      start: async () => {
        events.push(`start ${name}`);
        return { stop: async () => void events.push(`stop ${name}`) };
      },
    });
    const parts = await startParts([part('store'), part('queue'), part('server')], options);
    expect(events).toEqual(['start store', 'start queue', 'start server']);
    await Promise.all([parts.stop(), parts.stop()]);
    expect(events.slice(3)).toEqual(['stop server', 'stop queue', 'stop store']);
  });

  it('a middle part that cannot start (port in use) stops the parts before it and rethrows; later parts never start', async () => {
    const taken = await holdPort();
    const first = createHttpServer();
    let firstPort = 0;
    let thirdStarted = false;
    try {
      const failing = startParts(
        [
          httpServerPart('first', first, '127.0.0.1', 0, (p) => (firstPort = p)),
          httpServerPart('second', createHttpServer(), '127.0.0.1', taken.port, () => undefined),
          { name: 'third', start: async () => ((thirdStarted = true), { stop: async () => undefined }) },
        ],
        options,
      );
      await expect(failing).rejects.toMatchObject({ code: 'UNAVAILABLE', message: `cannot serve HTTP on 127.0.0.1:${taken.port}: EADDRINUSE` });
    } finally {
      await release(taken.server);
    }
    expect(firstPort).toBeGreaterThan(0);
    expect(first.listening).toBe(false);
    expect(thirdStarted).toBe(false);
    // The first part's port was released: it can be bound again.
    const again = await holdPort(firstPort);
    await release(again.server);
  });

  it('stops every part even when one fails to stop, and throws the failures together', async () => {
    const stopped: string[] = [];
    const warned: string[] = [];
    const parts = await startParts(
      [
        { name: 'a', start: async () => ({ stop: async () => void stopped.push('a') }) },
        { name: 'b', start: async () => ({ stop: async () => Promise.reject(new Error('b broke')) }) },
        { name: 'c', start: async () => ({ stop: async () => void stopped.push('c') }) },
      ],
      { ...options, log: { ...log, warn: (fields: object) => void warned.push((fields as { step: string }).step) } },
    );
    const err = await parts.stop().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AggregateError);
    expect((err as AggregateError).message).toBe('test: close failed');
    expect((err as AggregateError).errors.map((e: Error) => e.message)).toEqual(['b broke']);
    expect(stopped).toEqual(['c', 'a']);
    expect(warned).toEqual(['b']);
  });

  it('gives every stop one deadline, from the start of the stop', async () => {
    const outcomes: string[] = [];
    const slow = (name: string): Part => ({
      name,
      start: async () => ({ stop: async (deadline) => void outcomes.push(`${name} ${await Promise.race([deadline, new Promise((r) => setTimeout(() => r('done'), 10_000).unref())])}`) }),
    });
    const parts = await startParts([slow('a'), slow('b')], { ...options, shutdownTimeoutMs: 50 });
    const started = Date.now();
    await parts.stop();
    expect(outcomes).toEqual(['b timeout', 'a timeout']);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
