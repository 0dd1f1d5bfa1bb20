import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** Debian's python3-torch (1.13) runs here; the pyenv `python3` has no torch. */
const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./fixtures/torch-rank.mjs', import.meta.url));

/** Throws, saying how to install it, when PyTorch's launcher is not there. */
export function requireTorchrun(): void {
  const probe = spawnSync(PYTHON, ['-c', 'import torch.distributed.run'], { encoding: 'utf8', timeout: 60_000 });
  if (probe.status !== 0) {
    throw new Error(
      `PyTorch's launcher (torch.distributed.run) is not importable with ${PYTHON}: ${(probe.stderr || String(probe.error ?? '')).trim().split('\n').pop()}. ` +
        'Install it with `apt-get install -y python3-torch` (.ci/run does).',
    );
  }
}

/** A free TCP port on 127.0.0.1 (for the static rendezvous's master). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface TorchrunOptions {
  nprocPerNode: number;
  /** The static rendezvous's master port, or the c10d rendezvous's endpoint port (with `c10d`). */
  masterPort: number;
  /** Several agents of one job: `--nnodes <n>` (`--node_rank <i>` for the static rendezvous). */
  node?: { nnodes: number; rank: number };
  /** The c10d rendezvous (`--rdzv_backend c10d --rdzv_endpoint 127.0.0.1:<masterPort> --rdzv_id <id>`) instead of the static one. */
  c10d?: { id: string };
  maxRestarts?: number;
  /** Environment of the agent (and so its workers), over a clean one. */
  env: Record<string, string>;
}

/** One torchrun agent started by {@link torchrun}. */
export interface Torchrun {
  /** Each worker's output lines by local rank, as the agent tees them (`[default<i>]:<line>`). */
  readonly lines: Map<number, string[]>;
  readonly exited: Promise<{ code: number | null; output: string }>;
}

/**
 * Starts a real torchrun agent (static or c10d rendezvous on 127.0.0.1) whose
 * workers run test/e2e/fixtures/torch-rank.mjs with this Node.
 * `-r 1 -t 1`: torch 1.13 on Python 3.11 crashes before starting a worker
 * when they are 0 (`Std.from_str("0")` returns None).
 */
export function torchrun(o: TorchrunOptions): Torchrun {
  const clean: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[k] !== undefined) clean[k] = process.env[k]!;
  const args = ['-m', 'torch.distributed.run', '-r', '1', '-t', '1', '--monitor_interval', '0.2', '--nproc_per_node', String(o.nprocPerNode)];
  if (o.node) args.push('--nnodes', String(o.node.nnodes));
  if (o.c10d) args.push('--rdzv_backend', 'c10d', '--rdzv_endpoint', `127.0.0.1:${o.masterPort}`, '--rdzv_id', o.c10d.id);
  else args.push(...(o.node ? ['--node_rank', String(o.node.rank)] : []), '--master_addr', '127.0.0.1', '--master_port', String(o.masterPort));
  args.push('--max_restarts', String(o.maxRestarts ?? 0));
  args.push('--no_python', process.execPath, SCRIPT);
  const child = spawn(PYTHON, args, { env: { ...clean, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = new Map<number, string[]>();
  let output = '';
  let buf = '';
  const onData = (chunk: string) => {
    output = (output + chunk).slice(-20_000);
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const m = /^\[default(\d+)\]:(.*)$/.exec(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      if (!m) continue;
      const local = Number(m[1]);
      lines.set(local, [...(lines.get(local) ?? []), m[2]!]);
    }
  };
  child.stdout!.setEncoding('utf8').on('data', onData);
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output = (output + chunk).slice(-20_000)));
  const exited = new Promise<{ code: number | null; output: string }>((resolve) => child.on('exit', (code) => resolve({ code, output })));
  return { lines, exited };
}

/** The `ready <run id> <group> <new|resumed>` lines of an agent's workers, by local rank then attempt. */
export function readyLines(agent: Torchrun): Array<{ local: number; runId: string; group: string; resumed: boolean }> {
  const out = [];
  for (const [local, lines] of agent.lines) {
    for (const line of lines) {
      const m = /^ready (\S+) (\S+) (new|resumed)$/.exec(line);
      if (m) out.push({ local, runId: m[1]!, group: m[2]!, resumed: m[3] === 'resumed' });
    }
  }
  return out;
}
