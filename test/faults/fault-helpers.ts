import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { expect } from 'vitest';
import { Api } from '@cohort/sdk';

/** The built CLI: `npm test` builds before it runs the tests. */
export const CLI = fileURLToPath(new URL('../../apps/cli/dist/main.js', import.meta.url));

/** A `cohort server` or `cohort worker` in a process of its own. */
export interface CohortProcess extends AsyncDisposable {
  readonly kind: 'server' | 'worker';
  readonly pid: number;
  /** The coordinator's gRPC `host:port` (servers only). */
  readonly grpcAddress: string;
  /** The HTTP URL (the coordinator's API, or the worker's /metrics). */
  readonly httpUrl: string;
  /** The tail of its stderr (logs), for failure messages. */
  output(): string;
  /** `kill -9`: resolves once it is gone. */
  kill9(): Promise<void>;
  /** SIGTERM, then SIGKILL after 5 s; resolves once it is gone. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Spawns `node apps/cli/dist/main.js <kind> ...args` and resolves once it
 * prints its ready line (within 20 s, else it is killed and this throws).
 */
export async function spawnCohort(kind: 'server' | 'worker', args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CohortProcess> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (\`npm test\` does)`);
  const child = spawn(process.execPath, [CLI, kind, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, COHORT_LOG_LEVEL: 'warn', ...env },
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8192);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const stop = async (): Promise<void> => {
    if (gone()) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.kill('SIGTERM');
    await exited;
    clearTimeout(timer);
  };
  const ready = await readyLine(child, kind, () => stderr).catch(async (err: unknown) => {
    child.kill('SIGKILL');
    await exited;
    throw err;
  });
  return {
    kind,
    pid: child.pid!,
    grpcAddress: ready.grpc ?? '',
    httpUrl: ready.http,
    output: () => stderr,
    kill9: async () => {
      if (gone()) return;
      child.kill('SIGKILL');
      await exited;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

async function readyLine(child: ChildProcess, kind: string, output: () => string): Promise<{ grpc?: string; http: string }> {
  const lines = createInterface({ input: child.stdout! });
  const timeout = setTimeout(() => lines.close(), 20_000);
  try {
    for await (const line of lines) {
      const server = /^cohort server ready grpc=(\S+) http=(\S+)/.exec(line);
      if (server) return { grpc: server[1]!, http: server[2]! };
      const worker = /^cohort worker ready http=(\S+)/.exec(line);
      if (worker) return { http: worker[1]! };
    }
  } finally {
    clearTimeout(timeout);
  }
  throw new Error(`cohort ${kind} did not print its ready line (exit ${String(child.exitCode)}): ${output()}`);
}

/** Options of a scaled deployment of real processes. */
export interface ProcessClusterOptions {
  redisUrl: string;
  postgresUrl: string;
  coordinators?: number;
  workers?: number;
  /** Worker `--lock-duration-ms`. @defaultValue 1000 */
  lockDurationMs?: number;
  /** Coordinator `--lost-job-check-ms`. @defaultValue 300 */
  lostJobCheckMs?: number;
  workerConcurrency?: number;
}

/** Coordinators and workers, each a `cohort` process, on one random queue prefix. */
export interface ProcessCluster extends AsyncDisposable {
  prefix: string;
  coordinators: CohortProcess[];
  workers: CohortProcess[];
  addWorker(): Promise<CohortProcess>;
  addCoordinator(): Promise<CohortProcess>;
  /** All the processes' logs, for a failure message. */
  output(): string;
}

/** Starts `cohort server`s and `cohort worker`s; disposal stops every one of them, even after a failed start. */
export async function processCluster(o: ProcessClusterOptions): Promise<ProcessCluster> {
  const prefix = `fault-${randomUUID()}`;
  const coordinators: CohortProcess[] = [];
  const workers: CohortProcess[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'cohort-fault-'));
  const common = ['--redis', o.redisUrl, '--postgres', o.postgresUrl, '--prefix', prefix];
  const output = (): string => [...coordinators, ...workers].map((p) => `--- ${p.kind} ${p.pid}\n${p.output()}`).join('\n');
  const addCoordinator = async (): Promise<CohortProcess> => {
    const c = await spawnCohort('server', [...common, '--grpc-port', '0', '--http-port', '0', '--data', dataDir, '--lost-job-check-ms', String(o.lostJobCheckMs ?? 300)]);
    coordinators.push(c);
    return c;
  };
  const addWorker = async (): Promise<CohortProcess> => {
    const w = await spawnCohort('worker', [
      ...common,
      '--http-port', '0',
      '--concurrency', String(o.workerConcurrency ?? 4),
      '--lock-duration-ms', String(o.lockDurationMs ?? 1000),
    ]);
    workers.push(w);
    return w;
  };
  const dispose = async (): Promise<void> => {
    if (process.env['COHORT_FAULT_LOGS'] === '1') process.stderr.write(`${output()}\n`);
    await Promise.allSettled([...coordinators, ...workers].map((p) => p.stop()));
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await Promise.all([
      ...Array.from({ length: o.coordinators ?? 1 }, () => addCoordinator()),
      ...Array.from({ length: o.workers ?? 1 }, () => addWorker()),
    ]);
  } catch (err) {
    await dispose();
    throw err;
  }
  return {
    prefix,
    coordinators,
    workers,
    addWorker,
    addCoordinator,
    output,
    [Symbol.asyncDispose]: dispose,
  };
}

/**
 * A TCP proxy on 127.0.0.1: forwards each connection to `target()` (read at
 * connect time). `cut()` destroys every connection and refuses new ones (they
 * are accepted and destroyed at once) until `restore()`.
 */
export interface TcpProxy extends AsyncDisposable {
  readonly port: number;
  readonly address: string;
  setTarget(port: number, host?: string): void;
  /** Destroys the connections it carries and refuses new ones. */
  cut(): void;
  restore(): void;
  /** Connections forwarded so far. */
  connections(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let target = { port: targetPort, host: targetHost };
  let refusing = false;
  let forwarded = 0;
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server: Server = createServer((client) => {
    track(client);
    if (refusing) {
      client.destroy();
      return;
    }
    forwarded++;
    const upstream = createConnection(target);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const destroyAll = (): void => {
    for (const s of sockets) s.destroy();
  };
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((r) => {
      destroyAll();
      server.close(() => r());
    }));
  return {
    port,
    address: `127.0.0.1:${port}`,
    setTarget: (p, h = '127.0.0.1') => {
      target = { port: p, host: h };
    },
    cut: () => {
      refusing = true;
      destroyAll();
    },
    restore: () => {
      refusing = false;
    },
    connections: () => forwarded,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The port of a `host:port` address or of a URL. */
export function portOf(address: string): number {
  const m = /:(\d+)(?:\/|$)/.exec(address);
  if (!m) throw new Error(`no port in ${address}`);
  return Number(m[1]);
}

/** A row a fault test logs at `step` of run number `run`: deterministic, so a child process and the test agree. */
export function rowAt(run: number, step: number): { loss: number; acc: number; tag: string } {
  return { loss: 1000 - step + run / 1000, acc: (step % 97) / 97, tag: `r${run}s${step}` };
}

/**
 * Reads run `path` back through the `Api` and compares it with what the SDK
 * logged, row by row: every step once and in order, the same values, and the
 * same summary.
 */
export async function expectRunReadsBack(
  baseUrl: string,
  path: string,
  logged: ReadonlyArray<Record<string, unknown>>,
  summary: Record<string, unknown>,
): Promise<void> {
  const api = new Api({ baseUrl });
  const back = await api.run(path);
  expect(back.state, `${path}: state`).toBe('finished');
  const rows: Array<Record<string, unknown>> = [];
  for await (const row of back.scanHistory({ pageSize: 1000 })) rows.push(row);
  // No row lost, none doubled: exactly the steps 0..n-1, once each.
  expect(rows.map((r) => r['_step']), `${path}: steps`).toEqual(logged.map((_, i) => i));
  const keys = Object.keys(logged[0] ?? {});
  expect(rows.map((r) => Object.fromEntries(keys.map((k) => [k, r[k]]))), `${path}: values`).toEqual(logged);
  expect(back.summary, `${path}: summary`).toEqual(summary);
}

/** Polls `check` every 50 ms until it holds, or fails after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A worker's `cohort_jobs_total{result}` (completed, retry, failed), from its /metrics (0 when it cannot be read). */
export async function jobCount(worker: CohortProcess, result: 'completed' | 'retry' | 'failed' = 'completed'): Promise<number> {
  try {
    const text = await (await fetch(`${worker.httpUrl}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    const m = new RegExp(`^cohort_jobs_total\\{[^}]*result="${result}"[^}]*\\} (\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** {@link jobCount} of completed jobs. */
export function completedJobs(worker: CohortProcess): Promise<number> {
  return jobCount(worker, 'completed');
}

/** {@link jobCount} summed over workers. */
export async function jobCountOf(workers: readonly CohortProcess[], result: 'completed' | 'retry' | 'failed' = 'completed'): Promise<number> {
  let n = 0;
  for (const w of workers) n += await jobCount(w, result);
  return n;
}

/** A worker's `cohort_worker_active_jobs`: jobs it is applying now (0 when it cannot be read). */
export async function activeJobs(worker: CohortProcess): Promise<number> {
  try {
    const text = await (await fetch(`${worker.httpUrl}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    const m = /^cohort_worker_active_jobs (\d+)/m.exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** A temporary folder, removed on disposal. */
export function tempDir(): { path: string } & Disposable {
  const path = mkdtempSync(join(tmpdir(), 'cohort-fault-sdk-'));
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

/** What one in-process SDK run logged, to compare with what reads back. */
export interface LoggedRun {
  path: string;
  logged: Array<Record<string, unknown>>;
  summary: Record<string, unknown>;
}

/**
 * Logs `rows` rows ({@link rowAt}) to one run through the real SDK (built,
 * in a worker thread of its own: the SDK keeps one active run per thread) at
 * `url` (`COHORT_URL`), pausing `pauseMs` every `pauseEvery` rows so that the
 * logging spans the fault, and finishes it. `started` resolves once the run
 * is open.
 */
export function logRun(o: {
  url: string;
  dir: string;
  project: string;
  run: number;
  rows: number;
  pauseEvery?: number;
  pauseMs?: number;
  finishTimeoutMs?: number;
}): { started: Promise<void>; done: Promise<LoggedRun> } {
  const thread = new Worker(new URL('./sdk-rank.mjs', import.meta.url), {
    workerData: o,
    // Not the test runner's `--conditions @cohort/source`: the thread loads the built SDK.
    execArgv: [],
  });
  let onStarted: () => void = () => {};
  const started = new Promise<void>((r) => (onStarted = r));
  const done = new Promise<LoggedRun>((resolve, reject) => {
    thread.on('message', (m: { started?: true; path?: string; summary?: Record<string, unknown>; error?: string }) => {
      if (m.started) onStarted();
      else if (m.error !== undefined) reject(new Error(`run ${o.run}: ${m.error}`));
      else resolve({ path: m.path!, summary: m.summary!, logged: Array.from({ length: o.rows }, (_, step) => rowAt(o.run, step)) });
    });
    thread.once('error', reject);
    thread.once('exit', (code) => reject(new Error(`run ${o.run}: the SDK thread exited (${code}) before it finished`)));
  }).finally(() => void thread.terminate());
  done.catch(() => onStarted());
  return { started, done };
}

/** Logs several runs at once ({@link logRun}); resolves when every one finished. */
export function logRuns(count: number, o: Omit<Parameters<typeof logRun>[0], 'run'> & { urls?: readonly string[] }): { started: Promise<void>; done: Promise<LoggedRun[]> } {
  const runs = Array.from({ length: count }, (_, run) => logRun({ ...o, url: o.urls?.[run % o.urls.length] ?? o.url, run }));
  const done = Promise.all(runs.map((r) => r.done));
  // Handled by whoever awaits it; a test that failed before that must not also report an unhandled rejection.
  done.catch(() => undefined);
  return { started: Promise.all(runs.map((r) => r.started)).then(() => undefined), done };
}
