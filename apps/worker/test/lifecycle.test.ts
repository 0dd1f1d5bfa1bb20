import { createServer } from 'node:net';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { startWorker } from '../src/index.js';
import { testBackend } from './helpers.js';

/** A logger at debug level whose lines land in `lines`. */
function capture(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, logger: pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }) };
}

const partsLogged = (lines: ReadonlyArray<Record<string, unknown>>, msg: string) => lines.filter((l) => l['msg'] === msg).map((l) => l['part']);

describe('worker lifecycle', () => {
  it('an HTTP port in use stops the store it opened before it, and no queue connection is made', async () => {
    await using backend = await testBackend();
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as { port: number }).port;
    try {
      const { logger, lines } = capture();
      await expect(startWorker({ redisUrl: backend.redisUrl, postgresUrl: backend.db.url, prefix: backend.prefix, httpPort: port, logger })).rejects.toMatchObject({
        code: 'UNAVAILABLE',
        message: `cannot serve HTTP on 127.0.0.1:${port}: EADDRINUSE`,
      });
      expect(partsLogged(lines, 'part started')).toEqual(['store']);
      expect(partsLogged(lines, 'part stopped')).toEqual(['store']);
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
  });

  it('stops taking jobs first and closes the store it opened last: its parts in reverse order of their start', async () => {
    await using backend = await testBackend();
    const { logger, lines } = capture();
    const worker = await startWorker({ redisUrl: backend.redisUrl, postgresUrl: backend.db.url, prefix: backend.prefix, httpPort: 0, logger });
    expect(partsLogged(lines, 'part started')).toEqual(['store', 'http', 'queue', 'worker']);
    expect((await fetch(`${worker.httpUrl}/healthz`)).status).toBe(200);
    await Promise.all([worker.close(), worker.close()]);
    expect(partsLogged(lines, 'part stopped')).toEqual(['worker', 'queue', 'http', 'store']);
    expect(worker.stats().state).toBe('closed');
    await expect(fetch(`${worker.httpUrl}/healthz`)).rejects.toThrow();
  });
});
