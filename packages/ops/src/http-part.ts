import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CohortError } from '@cohort/protocol';
import type { Part } from './parts.js';

/** `host:port`, with an IPv6 host in brackets. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Listens on `host:port` and resolves the bound port; UNAVAILABLE naming the address when it cannot (`EADDRINUSE`). */
export function listenHttp(server: HttpServer, host: string, port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(new CohortError('UNAVAILABLE', `cannot serve HTTP on ${formatHostPort(host, port)}: ${err.code ?? err.message}`, { cause: err }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolvePort((server.address() as AddressInfo).port);
    });
  });
}

/**
 * An HTTP server as a part: listens on start (`onListening` gets the bound
 * port); on stop it stops listening, drops idle keep-alive sockets, lets
 * requests in flight finish until the deadline, then drops the rest.
 */
export function httpServerPart(name: string, server: HttpServer, host: string, port: number, onListening: (port: number) => void): Part {
  return {
    name,
    start: async () => {
      onListening(await listenHttp(server, host, port));
      return {
        stop: async (deadline) => {
          const closed = new Promise<void>((r) => server.close(() => r()));
          server.closeIdleConnections();
          if ((await Promise.race([closed, deadline])) === 'timeout') server.closeAllConnections();
          await closed;
        },
      };
    },
  };
}
