import { Socket } from 'node:net';
import { intFlag, parseFlags, readArgs } from '../args.js';
import type { CliContext } from '../cli-context.js';
import { encodeFrame, FrameReader } from './agent-frames.js';
import { AgentSession, type Reply } from './agent-session.js';
import { sweepAgentCommand } from './sweep-agent.js';

/**
 * `cohort agent --fd N`: runs the TypeScript SDK for a client in another
 * language (the Python package `cohort`, docs/python.md). The client gives
 * the agent one end of a Unix socket pair as file descriptor N (default 3) and
 * sends length-prefixed JSON frames over it; the agent calls `@cohort/sdk`
 * for each and answers the calls that wait for a value. It ends when the
 * channel closes: after the run finished, or, when the client vanished, once
 * what the client sent is committed (the run is then left to be marked crashed).
 */
export async function agentCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  // `cohort agent SWEEP`: a sweep's agent (sweep-agent.ts); with --fd (or nothing), the Python client's.
  if (argv.length > 0 && !argv.some((a) => a === '--fd' || a.startsWith('--fd='))) return sweepAgentCommand(argv, ctx);
  const { values } = readArgs('agent', argv, { fd: { type: 'string' } }, false);
  if (values.help) return -1;
  const flags = parseFlags('agent', values, { fd: intFlag(0, 1_000_000).optional() });
  const fd = flags.fd ?? 3;
  const logger = {
    debug(): void {},
    info(): void {},
    warn: (message: string) => void ctx.stderr.write(`cohort: warning: ${message}\n`),
    error: (message: string) => void ctx.stderr.write(`cohort: error: ${message}\n`),
  };
  const session = new AgentSession(logger);
  const channel = new Socket({ fd, readable: true, writable: true });
  const reply: Reply = (frame) => {
    if (!channel.destroyed) channel.write(encodeFrame(frame));
  };
  const reader = new FrameReader();
  // Requests run one after another, in the order they came.
  let queue: Promise<void> = Promise.resolve();
  let failed: Error | undefined;
  const stop = (err: Error) => {
    failed ??= err;
    channel.destroy();
  };
  channel.on('data', (chunk: Buffer) => {
    let frames: unknown[];
    try {
      frames = reader.push(chunk);
    } catch (err) {
      stop(err as Error);
      return;
    }
    for (const frame of frames) queue = queue.then(() => session.handle(frame, reply)).catch((err: unknown) => stop(err as Error));
  });
  const closed = new Promise<void>((resolve) => {
    channel.once('close', () => resolve());
    channel.on('error', (err) => logger.warn(`agent channel: ${err.message}`));
  });
  const aborted = new Promise<'signal'>((resolve) => ctx.signal.addEventListener('abort', () => resolve('signal'), { once: true }));
  const why = await Promise.race([closed.then(() => 'closed' as const), aborted]);
  await queue;
  if (why === 'signal') {
    // SIGTERM or SIGINT to the agent: the SDK's SIGTERM handler ends the run (preempted); wait for it.
    await session.settle(143);
    channel.destroy();
    return 0;
  }
  if (failed !== undefined) logger.error(`agent channel: ${failed.message}`);
  if (reader.pendingBytes > 0) logger.warn(`agent channel: the client closed in the middle of a frame (${reader.pendingBytes} bytes dropped)`);
  await session.clientGone();
  return failed === undefined ? 0 : 1;
}
