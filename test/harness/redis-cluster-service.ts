import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stopChild, waitForPort } from './child-process.js';
import { freePort } from './free-port.js';
import { which } from './which.js';

const run = promisify(execFile);

/** One node of a {@link RedisCluster}. */
export interface RedisClusterNode {
  readonly port: number;
  /** Kills the node's process at once (SIGKILL): a crashed master, for failover tests. */
  kill(): void;
}

/** A private Redis Cluster on loopback ports, and how to stop it. */
export interface RedisCluster {
  /** `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,...`: every node, as a client would be given them. */
  readonly url: string;
  readonly nodes: readonly RedisClusterNode[];
  /** `redis-cli -p PORT ARGS...` against one node; its stdout. */
  cli(port: number, ...args: string[]): Promise<string>;
  /** The port of the master serving `key`'s hash slot now. */
  masterOf(key: string): Promise<number>;
  /** Waits until every live node says `cluster_state:ok` (after a failover, too). */
  waitHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts `masters × (1 + replicasPerMaster)` `redis-server --cluster-enabled
 * yes` processes on free loopback ports, each in its own folder under a
 * private temporary directory (no persistence), joins them with
 * `redis-cli --cluster create ... --cluster-replicas R --cluster-yes`, and
 * waits until the cluster is healthy. A short `cluster-node-timeout`
 * (2 s: short enough for a replica to take over a killed master within seconds, long enough
 * that a node slowed by a busy machine is not taken for dead).
 */
export async function startRedisCluster(o: { masters?: number; replicasPerMaster?: number } = {}): Promise<RedisCluster> {
  const masters = o.masters ?? 3;
  const replicas = o.replicasPerMaster ?? 0;
  const server = which('redis-server', process.env.PATH ?? '');
  const cliBin = which('redis-cli', process.env.PATH ?? '');
  if (!server || !cliBin) throw new Error('No Redis Cluster for the tests: install redis-server and redis-cli (Debian/Ubuntu: `apt-get install -y redis-server redis-tools`).');
  const dir = await mkdtemp(join(tmpdir(), 'cohort-redis-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const cli = async (port: number, ...args: string[]) => (await run(cliBin, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 30_000 })).stdout;
  const stop = async () => {
    await Promise.all(children.map(stopChild));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) {
      const port = await clusterPort(ports);
      ports.push(port);
      const child = spawn(
        server,
        [
          '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--cluster-enabled', 'yes',
          '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000',
          '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', '',
          // The slots still served keep answering while a killed master's slots move to its replica.
          '--cluster-require-full-coverage', 'no',
          // A replica syncs at once (the default waits 5 s for more replicas): one not yet synced is never elected.
          '--repl-diskless-sync-delay', '0',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      children.push(child);
      await waitForPort(port, child, `redis-server (cluster node on ${port})`);
    }
    await run(cliBin, ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes'], { timeout: 60_000 });
  } catch (err) {
    await stop();
    throw err;
  }
  const cluster: RedisCluster = {
    url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
    nodes: ports.map((port, i) => ({ port, kill: () => children[i]!.kill('SIGKILL') })),
    cli,
    async masterOf(key) {
      const live = ports.find((_, i) => children[i]!.exitCode === null && children[i]!.signalCode === null)!;
      const slot = Number((await cli(live, 'cluster', 'keyslot', key)).trim());
      for (const line of (await cli(live, 'cluster', 'nodes')).split('\n')) {
        const f = line.split(' ');
        if (f.length < 9 || !f[2]!.includes('master') || f[2]!.includes('fail')) continue;
        for (const range of f.slice(8)) {
          const [a, b = a] = range.split('-').map(Number);
          if (slot >= a! && slot <= b!) return Number(/:(\d+)@/.exec(f[1]!)![1]);
        }
      }
      throw new Error(`no master serves slot ${slot} of ${key}`);
    },
    async waitHealthy(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const live = ports.filter((_, i) => children[i]!.exitCode === null && children[i]!.signalCode === null);
        const states = await Promise.all(live.map((p) => cli(p, 'cluster', 'info').catch(() => '')));
        // Every node knows every other (a replica not yet known to all cannot be elected), every slot is served,
        // and every replica has synced with its master (one that never did cannot take over).
        const ok = (s: string) => s.includes('cluster_state:ok') && s.includes(`cluster_known_nodes:${ports.length}`) && s.includes('cluster_slots_ok:16384');
        const links = await Promise.all(live.map((p) => cli(p, 'info', 'replication').catch(() => '')));
        const synced = links.every((l) => !l.includes('role:slave') || l.includes('master_link_status:up'));
        if (states.every(ok) && synced) return;
        if (Date.now() > deadline) throw new Error(`the Redis Cluster is not healthy after ${timeoutMs} ms: ${states.map((s) => /cluster_state:\w+/.exec(s)?.[0] ?? 'no answer').join(', ')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop,
  };
  try {
    await cluster.waitHealthy();
  } catch (err) {
    await stop();
    throw err;
  }
  return cluster;
}

/**
 * A free port whose cluster bus port (port + 10000) is free too, clashing
 * with no port or bus port already taken.
 */
async function clusterPort(taken: readonly number[]): Promise<number> {
  const used = new Set(taken.flatMap((p) => [p, p + 10_000]));
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await freePort();
    if (port > 55_535 || used.has(port) || used.has(port + 10_000)) continue;
    if (await canListen(port + 10_000)) return port;
  }
  throw new Error('no free port pair (port, port + 10000) for a Redis Cluster node');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
