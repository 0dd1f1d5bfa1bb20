// Process plumbing of the soak: `cohort` children with their ready lines,
// rank hosts, a TCP proxy that can cut every connection, and RSS readings.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../apps/cli/dist/main.js', import.meta.url));
const RANK_HOST = fileURLToPath(new URL('./rank-host.mjs', import.meta.url));

/** A child process with its stderr tail, `stop()` (SIGTERM, then SIGKILL after 5 s) and `kill9()`. */
function track(child) {
  let stderr = '';
  child.stderr.on('data', (c) => (stderr = (stderr + c.toString()).slice(-8192)));
  const exited = new Promise((r) => child.once('exit', () => r()));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    pid: child.pid,
    child,
    exited,
    output: () => stderr,
    gone,
    async kill9() {
      if (!gone()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (gone()) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Starts `cohort server|worker ...args` and resolves once it printed its ready line (60 s at most: the machine is busy). */
export async function spawnCohort(kind, args) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const child = spawn(process.execPath, [CLI, kind, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, COHORT_LOG_LEVEL: 'warn' } });
  const proc = track(child);
  const lines = createInterface({ input: child.stdout });
  const timeout = setTimeout(() => lines.close(), 60_000);
  try {
    for await (const line of lines) {
      const m = /^cohort (?:server|worker) ready (?:grpc=(\S+) )?http=(\S+)/.exec(line);
      if (m) return { ...proc, kind, grpcAddress: m[1] ?? '', httpUrl: m[2] };
    }
  } finally {
    clearTimeout(timeout);
  }
  await proc.kill9();
  throw new Error(`cohort ${kind} did not print its ready line: ${proc.output()}`);
}

/** Starts a rank host for `job`; `results` resolves with one report per rank once they all finished. */
export async function spawnRankHost(job) {
  const child = spawn(process.execPath, [RANK_HOST, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = track(child);
  const reports = [];
  const lines = createInterface({ input: child.stdout });
  let ready;
  const isReady = new Promise((r) => (ready = r));
  lines.on('line', (line) => {
    if (line === 'ready') ready();
    else reports.push(JSON.parse(line));
  });
  await isReady;
  return { ...proc, reports, results: proc.exited.then(() => reports), finishLogging: () => child.kill('SIGUSR2') };
}

/** A TCP proxy on 127.0.0.1 to a target that can change; `cut()` destroys every connection it carries. */
export async function startTcpProxy(targetPort) {
  let target = targetPort;
  let forwarded = 0;
  const sockets = new Set();
  const keep = (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = createServer((client) => {
    keep(client);
    forwarded++;
    const upstream = createConnection({ port: target, host: '127.0.0.1' });
    keep(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = server.address().port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    setTarget: (p) => (target = p),
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    connections: () => forwarded,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Resident memory of a process in bytes (Linux /proc), or undefined once it is gone. */
export function rssOf(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The port of a `host:port` address or a URL. */
export function portOf(address) {
  return Number(/:(\d+)(?:\/|$)/.exec(address)[1]);
}
