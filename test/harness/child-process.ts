import type { ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';

/**
 * Waits until a server the harness spawned accepts TCP connections on
 * 127.0.0.1:`port`; fails at once when it exits, and after `timeoutMs`
 * (killing it), with `output()` (its stderr so far) in the message.
 */
export async function waitForPort(port: number, child: ChildProcess, what: string, output: () => string = () => '', timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}: ${output()}`);
    if (await canConnect(port)) return;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${what} did not listen on port ${port} within ${timeoutMs / 1000} s: ${output()}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Stops a spawned server: SIGTERM, then SIGKILL after 5 s. Resolves once it exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
