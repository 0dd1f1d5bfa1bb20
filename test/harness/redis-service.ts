import { spawn } from 'node:child_process';
import { stopChild, waitForPort } from './child-process.js';
import { dockerRuns } from './docker.js';
import { freePort } from './free-port.js';
import { which } from './which.js';

/** A Redis the tests may use, and how to stop it when the harness started it. */
export interface RedisService {
  url: string;
  /** Where it came from: the environment, a private redis-server, or a container. */
  source: 'env' | 'redis-server' | 'testcontainers';
  stop(): Promise<void>;
}

const HOW_TO_GET_ONE =
  'No Redis for the tests: set REDIS_URL=redis://HOST:PORT, or install redis-server ' +
  '(Debian/Ubuntu: `apt-get install -y redis-server`; macOS: `brew install redis`), or start a Docker engine ' +
  'so that testcontainers can run one.';

/**
 * Finds or starts Redis for the test run, in this order: `REDIS_URL` when
 * given; else a private `redis-server` on a free port (no persistence) when
 * the binary exists; else a testcontainers Redis when a Docker engine runs;
 * else an error that says how to get one. Tests isolate themselves with a
 * random key or queue prefix, so one server serves the whole run.
 */
export async function provideRedis(env: NodeJS.ProcessEnv = process.env): Promise<RedisService> {
  const fromEnv = env.REDIS_URL?.trim();
  if (fromEnv) return { url: fromEnv, source: 'env', stop: async () => {} };

  const binary = which('redis-server', env.PATH ?? '');
  if (binary) return startPrivateRedis(binary);

  if (await dockerRuns()) return startContainerRedis();

  throw new Error(HOW_TO_GET_ONE);
}

/**
 * Starts a private `redis-server` (no persistence) on `port`, or a free one.
 * Fault tests restart one on the same port to play a Redis that lost its data.
 */
export async function startPrivateRedis(binary: string, port?: number): Promise<RedisService> {
  port ??= await freePort();
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', '/tmp', '--logfile', ''],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString();
  });
  await waitForPort(port, child, 'redis-server', () => stderr);
  return {
    url: `redis://127.0.0.1:${port}`,
    source: 'redis-server',
    stop: () => stopChild(child),
  };
}

async function startContainerRedis(): Promise<RedisService> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer('redis:7-alpine')
    .withExposedPorts(6379)
    .withCommand(['redis-server', '--save', '', '--appendonly', 'no'])
    .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
    .start();
  return {
    url: `redis://${container.getHost()}:${container.getMappedPort(6379)}`,
    source: 'testcontainers',
    stop: async () => {
      await container.stop();
    },
  };
}
