import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { CliContext } from '../src/index.js';

/** The built CLI (`npm test` builds first; `npx tsc -b apps/cli` by hand). */
export const CLI = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** Fails with a clear message when the CLI is not built. */
export function requireBuiltCli(): string {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build it first with \`npx tsc -b apps/cli\``);
  return CLI;
}

/** A temporary folder, removed on dispose. */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await mkdtemp(join(tmpdir(), 'cohort-cli-test-'));
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
}

/** A CLI context that records what a command writes. */
export function testContext(over: Partial<CliContext> = {}): CliContext & { out: () => string; err: () => string; abort: () => void } {
  let out = '';
  let err = '';
  const stop = new AbortController();
  return {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env: {},
    logger: pino({ level: 'silent' }),
    signal: stop.signal,
    cwd: process.cwd(),
    ...over,
    out: () => out,
    err: () => err,
    abort: () => stop.abort(),
  };
}

/** A spawned `cohort server`, killed on dispose if still running. */
export interface ServerProcess extends AsyncDisposable {
  child: ChildProcess;
  /** The ready line's fields. */
  grpc: string;
  http: string;
  data: string;
  readyLine: string;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
}

/** How {@link spawnServer} starts the server. */
export interface SpawnServerOptions {
  /** The `cohort` command: a file and its first arguments. @defaultValue `node dist/main.js` of this repository */
  command?: readonly [string, ...string[]];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Spawns `cohort server --data DIR --grpc-port 0 --http-port 0` and waits for its ready line. */
export async function spawnServer(dataDir: string, options: SpawnServerOptions = {}): Promise<ServerProcess> {
  const { command = [process.execPath, requireBuiltCli()], cwd, env = process.env, timeoutMs = 20_000 } = options;
  const [file, ...first] = command;
  const child = spawn(file, [...first, 'server', '--data', dataDir, '--grpc-port', '0', '--http-port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...env, COHORT_LOG_LEVEL: 'warn' },
    ...(cwd !== undefined && { cwd }),
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (t: string) => (out += t));
  child.stderr!.setEncoding('utf8').on('data', (t: string) => (err += t));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line after ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
    const check = () => {
      const found = out.split('\n').find((l) => l.startsWith('cohort server ready '));
      if (found !== undefined && out.includes('\n')) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before it was ready; stderr: ${err}`));
    });
  });
  const fields = Object.fromEntries(
    line
      .replace('cohort server ready ', '')
      .split(' ')
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  ) as Record<string, string>;
  return {
    child,
    grpc: fields['grpc'] ?? '',
    http: fields['http'] ?? '',
    data: fields['data'] ?? '',
    readyLine: line,
    stdout: () => out,
    stderr: () => err,
    exited,
    [Symbol.asyncDispose]: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
