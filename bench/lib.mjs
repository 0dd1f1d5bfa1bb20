// Helpers shared by the benchmarks: timing, medians, a table printer and a
// coordinator started in its own process (so the SDK and the server each get a core).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../apps/cli/dist/main.js', import.meta.url));

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function fmt(n, digits = 0) {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** Prints rows of equal-length arrays as a Markdown table. */
export function printTable(title, header, rows) {
  const all = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(`\n${title}\n`);
  console.log(line(all[0]));
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const r of all.slice(1)) console.log(line(r));
}

/** Starts `cohort server` on free ports in a child process; resolves when it prints its ready line. */
export async function startServerProcess(dataDir, extraEnv = {}, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'server', '--data', dataDir, '--grpc-port', '0', '--http-port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, COHORT_LOG_LEVEL: 'warn', ...extraEnv },
  });
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const m = /^cohort server ready grpc=(\S+) http=(\S+) data=(.+)$/.exec(line);
    if (m) {
      return {
        grpcAddress: m[1],
        httpUrl: m[2],
        async stop() {
          child.kill('SIGTERM');
          if (child.exitCode === null) await once(child, 'exit');
        },
      };
    }
  }
  throw new Error('cohort server exited before it was ready');
}

// Services for the scaled-mode benchmark: REDIS_URL / DATABASE_URL when set,
// else a private redis-server and a private PostgreSQL (initdb + postgres on a
// free port), mirroring test/harness (which is TypeScript; the bench runs
// compile-free).
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export function which(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function waitFor(what, check, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not start within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** REDIS_URL, or a private redis-server (no persistence; `pid` set). */
export async function provideRedis() {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, source: 'env', stop: async () => {} };
  const binary = which('redis-server');
  if (!binary) throw new Error('The fan-in bench needs Redis: set REDIS_URL, or install redis-server (apt-get install -y redis-server)');
  const port = await freePort();
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir(), '--logfile', ''], { stdio: 'ignore' });
  await waitFor('redis-server', () => canConnect(port));
  return {
    url: `redis://127.0.0.1:${port}`,
    source: 'redis-server',
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/**
 * DATABASE_URL (a user that may CREATE DATABASE), or a private PostgreSQL
 * (fsync off, as the tests run it; `pid`: the postmaster's). `dataDir`: a
 * folder the private server keeps its cluster in between runs (created with
 * initdb when it holds none, never removed), for a bench that caches a
 * seeded database; without it the cluster is a temporary one.
 */
export async function providePostgres(settings = [], { dataDir } = {}) {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, source: 'env', stop: async () => {} };
  const initdb = which('initdb');
  const postgres = which('postgres');
  if (!initdb || !postgres) throw new Error('The fan-in bench needs PostgreSQL: set DATABASE_URL, or put initdb and postgres on PATH');
  const asRoot = process.getuid?.() === 0;
  const wrap = (bin, args) => (asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args]);
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'cohort-bench-pg-'));
  mkdirSync(dir, { recursive: true });
  if (asRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
  const data = join(dir, 'data');
  if (!existsSync(join(data, 'PG_VERSION'))) execFileSync(...wrap(initdb, ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']), { stdio: 'ignore' });
  const port = await freePort();
  const [bin, args] = wrap(postgres, ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300', ...settings.flatMap((kv) => ['-c', kv])]);
  const child = spawn(bin, args, { stdio: 'ignore' });
  const pidOf = () => {
    try {
      return Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return undefined;
    }
  };
  const stop = async () => {
    if (child.exitCode === null) {
      const pid = pidOf();
      if (pid) process.kill(pid, 'SIGINT');
      else child.kill('SIGINT');
      await once(child, 'exit');
    }
    if (!dataDir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('postgres', () => canConnect(port));
    await new Promise((r) => setTimeout(r, 300));
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, source: 'postgres', pid: pidOf(), stop };
}

/** Starts `cohort <kind> ...args` in a child process; resolves with its ready line's addresses. */
export async function startCohortProcess(kind, args, extraEnv = {}, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, CLI, kind, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, COHORT_LOG_LEVEL: 'warn', ...extraEnv },
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  };
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const m = /^cohort (?:server|worker) ready (?:grpc=(\S+) )?http=(\S+)/.exec(line);
    if (m) return { grpcAddress: m[1], httpUrl: m[2], pid: child.pid, stop };
  }
  throw new Error(`cohort ${kind} exited before it was ready`);
}

/** Writes `mb` MiB of random bytes to `path`; each MiB differs, so nothing downstream can shortcut repeated blocks. */
export async function writeRandomFile(path, mb) {
  const block = randomBytes(1024 * 1024);
  const out = createWriteStream(path);
  for (let i = 0; i < mb; i++) {
    block.writeUInt32LE(i, 0);
    if (!out.write(Buffer.from(block))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Milliseconds `fn` takes. */
export async function timed(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}
