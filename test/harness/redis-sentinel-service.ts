import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stopChild, waitForPort } from './child-process.js';
import { freePort } from './free-port.js';
import { which } from './which.js';

const run = promisify(execFile);

/** A private Redis master, its replica and one Sentinel watching them. */
export interface RedisSentinel {
  /** `redis+sentinel://127.0.0.1:PORT/cohortmaster`. */
  readonly url: string;
  readonly masterName: string;
  /** The port of the master the Sentinel names now. */
  masterPort(): Promise<number>;
  /** SIGKILLs the master now named (the replica is promoted within seconds). Returns its port. */
  killMaster(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts a master and a replica (`redis-server --replicaof`) and one
 * `redis-server --sentinel` monitoring them with a quorum of one and a
 * 1 s down-after, on free loopback ports in a private temporary folder.
 */
export async function startRedisSentinel(): Promise<RedisSentinel> {
  const server = which('redis-server', process.env.PATH ?? '');
  const cliBin = which('redis-cli', process.env.PATH ?? '');
  if (!server || !cliBin) throw new Error('No Redis Sentinel for the tests: install redis-server and redis-cli (Debian/Ubuntu: `apt-get install -y redis-server redis-tools`).');
  const dir = await mkdtemp(join(tmpdir(), 'cohort-redis-sentinel-'));
  const masterName = 'cohortmaster';
  const children = new Map<number, ChildProcess>();
  const stop = async () => {
    await Promise.all([...children.values()].map(stopChild));
    await rm(dir, { recursive: true, force: true });
  };
  const start = async (port: number, args: string[]) => {
    const child = spawn(server, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    children.set(port, child);
    await waitForPort(port, child, `redis-server on ${port}`);
  };
  const cli = async (port: number, ...args: string[]) => (await run(cliBin, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 })).stdout;
  try {
    const [master, replica, sentinel] = [await freePort(), await freePort(), await freePort()];
    const common = ['--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', '', '--repl-diskless-sync-delay', '0'];
    await start(master, ['--port', String(master), ...common]);
    await start(replica, ['--port', String(replica), ...common, '--replicaof', '127.0.0.1', String(master)]);
    const conf = join(dir, 'sentinel.conf');
    await writeFile(
      conf,
      [
        `port ${sentinel}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${masterName} 127.0.0.1 ${master} 1`,
        `sentinel down-after-milliseconds ${masterName} 1000`,
        `sentinel failover-timeout ${masterName} 5000`,
        '',
      ].join('\n'),
    );
    await start(sentinel, [conf, '--sentinel']);
    const masterPort = async () => Number((await cli(sentinel, 'sentinel', 'get-master-addr-by-name', masterName)).trim().split('\n')[1]);
    // Ready once the replica follows the master and the Sentinel has found it.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const info = await cli(replica, 'info', 'replication').catch(() => '');
      const replicas = await cli(sentinel, 'sentinel', 'replicas', masterName).catch(() => '');
      if (info.includes('master_link_status:up') && replicas.includes(String(replica))) break;
      if (Date.now() > deadline) throw new Error('the Redis replica or Sentinel did not come up within 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      url: `redis+sentinel://127.0.0.1:${sentinel}/${masterName}`,
      masterName,
      masterPort,
      async killMaster() {
        const port = await masterPort();
        children.get(port)!.kill('SIGKILL');
        return port;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
