import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { logFormat, prettyLine, prettyStream } from '../src/log-lines.js';
import { requireBuiltCli, tempDir } from './helpers.js';

/** The server's terminal output (issue 17): concise lines on a terminal, pino's JSON on a pipe. */
describe('the CLI log format', () => {
  it('is pretty on a terminal and JSON otherwise, unless COHORT_LOG_FORMAT says', () => {
    expect(logFormat(true, {})).toBe('pretty');
    expect(logFormat(false, {})).toBe('json');
    expect(logFormat(true, { COHORT_LOG_FORMAT: 'json' })).toBe('json');
    expect(logFormat(false, { COHORT_LOG_FORMAT: 'pretty' })).toBe('pretty');
  });

  it('writes a record as time, level, message and its fields', () => {
    let out = '';
    const sink = { write: (t: string) => ((out += t), true), isTTY: false };
    const log = pino({ base: { pid: 1, hostname: 'h' } }, prettyStream(sink as never));
    log.info({ component: 'coordinator', grpcAddress: '127.0.0.1:7711', note: 'two words' }, 'coordinator started');
    log.warn({ err: new Error('disk full') }, 'write failed');
    const [first, second, stack] = out.split('\n');
    expect(first).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} INFO {2}coordinator started component=coordinator grpcAddress=127\.0\.0\.1:7711 note="two words"$/);
    expect(second).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} WARN {2}write failed$/);
    expect(stack).toBe('Error: disk full');
    expect(prettyLine('not json', false)).toBe('not json');
  });

  it('cohort server writes concise lines to a terminal and JSON to a pipe (real processes)', async () => {
    await using dir = await tempDir();
    const cli = requireBuiltCli();
    const firstLog = (command: string, args: string[]): Promise<string> =>
      new Promise((resolve, reject) => {
        const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, COHORT_LOG_LEVEL: 'info', COHORT_LOG_FORMAT: '' } });
        let text = '';
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`no log line in 20 s: ${text}`));
        }, 20_000);
        const onData = (t: Buffer): void => {
          text += t.toString('utf8');
          const line = text.split(/\r?\n/).find((l) => l.includes('coordinator started'));
          if (line === undefined) return;
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve(line);
        };
        child.stdout!.on('data', onData);
        child.stderr!.on('data', onData);
      });
    const server = [cli, 'server', '--data', dir.path, '--grpc-port', '0', '--http-port', '0'];
    // `script` gives the server a terminal as its stderr.
    const tty = await firstLog('script', ['-qec', [process.execPath, ...server].map((a) => `'${a}'`).join(' '), '/dev/null']);
    expect(tty).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} \u001b\[32mINFO \u001b\[0m coordinator started component=coordinator /);
    const piped = await firstLog(process.execPath, server);
    expect(JSON.parse(piped)).toMatchObject({ level: 30, msg: 'coordinator started', component: 'coordinator' });
  });
});
