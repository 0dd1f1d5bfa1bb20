import { connect } from 'node:net';

/** How one raw HTTP exchange ended. */
export interface RawHttpOutcome {
  /** The status of the response's first line; undefined when the server closed without one (a request it could not parse). */
  status: number | undefined;
  /** The response's first line and headers (up to the blank line, or what came). */
  head: string;
}

/**
 * Sends `request` (bytes as they are, so malformed framing included) on a
 * fresh TCP connection to 127.0.0.1:`port`, half-closes, and resolves with
 * the response's status as soon as its first line arrived (a stream such as
 * SSE is cut there). Rejects when neither a status nor the close came within
 * `deadlineMs`: the server hung.
 */
export function rawHttp(port: number, request: Buffer, deadlineMs: number): Promise<RawHttpOutcome> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      fn();
    };
    const timer = setTimeout(() => settle(() => reject(new Error(`no answer within ${deadlineMs} ms to ${JSON.stringify(request.toString('latin1').slice(0, 300))}`))), deadlineMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      const end = received.indexOf('\r\n\r\n');
      if (end >= 0 || received.length > 64 * 1024) {
        const head = end >= 0 ? received.slice(0, end) : received;
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1];
        settle(() => resolve({ status: status === undefined ? undefined : Number(status), head }));
      }
    });
    socket.on('error', () => undefined); // a reset by the server: 'close' settles it
    socket.on('close', () => {
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(received)?.[1];
      settle(() => resolve({ status: status === undefined ? undefined : Number(status), head: received }));
    });
    socket.write(request);
    socket.end();
  });
}
