import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { dockerRuns } from './docker.js';
import { freePort } from './free-port.js';
import { which } from './which.js';

/** A PostgreSQL server the tests may use, and how to stop it when the harness started it. */
export interface PostgresService {
  /** A connection URL whose user may `CREATE DATABASE`. */
  url: string;
  /** Where it came from: the environment, a private `postgres` process, or a container. */
  source: 'env' | 'postgres' | 'testcontainers';
  stop(): Promise<void>;
}

/** A database of its own for one test, dropped after. */
export interface TestDatabase {
  url: string;
  /** Drops the database, closing whatever is still connected to it. Idempotent. */
  drop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const HOW_TO_GET_ONE =
  'No PostgreSQL for the tests: set DATABASE_URL=postgres://USER@HOST:PORT/DB (a user that may CREATE DATABASE), ' +
  'or install the server so that `initdb` and `postgres` are on PATH (Debian/Ubuntu: `apt-get install -y postgresql`, ' +
  'then add /usr/lib/postgresql/<version>/bin to PATH; macOS: `brew install postgresql`), or start a Docker engine ' +
  'so that testcontainers can run one.';

/** How long a private server may take to accept connections. */
const START_TIMEOUT_MS = 30_000;
/** How long a fast shutdown may take before the server is killed. */
const STOP_TIMEOUT_MS = 10_000;
/** The server's output kept for error messages (its tail). */
const OUTPUT_LIMIT = 8192;
/** Private server folders start with this, in the OS temp folder. */
const DIR_PREFIX = 'cohort-pg-';
/** A folder of a stopped server older than this is left from an interrupted run, not one starting up. */
const STALE_AFTER_MS = 10 * 60_000;

/**
 * Finds or starts PostgreSQL for the test run, in this order: `DATABASE_URL`
 * when given; else a private server on a free port (a fresh `initdb` folder,
 * trust auth, fsync off) when `initdb` and `postgres` are on PATH, run as the
 * `postgres` OS user when this process is root; else a testcontainers
 * `postgres:16-alpine` when a Docker engine runs; else an error that says how
 * to get one. Tests isolate themselves with {@link createTestDatabase}, so one
 * server serves the whole run.
 *
 * @example
 * const pgService = await providePostgres();
 * await using db = await createTestDatabase(pgService.url);
 * // ... connect to db.url ...
 * await pgService.stop();
 */
export async function providePostgres(env: NodeJS.ProcessEnv = process.env): Promise<PostgresService> {
  const fromEnv = env['DATABASE_URL']?.trim();
  if (fromEnv) return { url: fromEnv, source: 'env', stop: async () => {} };

  const path = env['PATH'] ?? '';
  const initdb = which('initdb', path);
  const postgres = which('postgres', path);
  if (initdb && postgres) return startPrivatePostgres(initdb, postgres, path);

  if (await dockerRuns()) return startContainerPostgres();

  throw new Error(HOW_TO_GET_ONE);
}

/**
 * Creates a fresh database `test_<random>` on the server at `url` (whose user
 * may `CREATE DATABASE`) and answers its URL; `drop()` (or disposal) removes it
 * with `WITH (FORCE)`, so connections a test forgot do not keep it alive.
 *
 * @example
 * await using db = await createTestDatabase(inject('databaseUrl'));
 * await using store = await openPostgresStore(db.url);
 */
export async function createTestDatabase(url: string): Promise<TestDatabase> {
  const name = `test_${randomBytes(8).toString('hex')}`;
  // The name is ours and matches [a-z0-9_]: DDL cannot take it as a parameter.
  await withAdmin(url, (c) => c.query(`CREATE DATABASE ${name}`));
  const target = new URL(url);
  target.pathname = `/${name}`;
  let dropping: Promise<void> | undefined;
  const drop = (): Promise<void> =>
    (dropping ??= withAdmin(url, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}));
  return { url: target.href, drop, [Symbol.asyncDispose]: drop };
}

async function withAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The OS user a private server runs as when this process is root (initdb and postgres refuse root). */
const SERVER_USER = 'postgres';

async function startPrivatePostgres(initdb: string, postgres: string, path: string): Promise<PostgresService> {
  const asRoot = process.getuid?.() === 0;
  let runuser: string | undefined;
  if (asRoot) {
    runuser = which('runuser', `${path}:/usr/sbin:/sbin:/usr/bin:/bin`);
    if (!runuser) throw new Error(`initdb refuses to run as root and \`runuser\` is not on PATH to run it as "${SERVER_USER}". ${HOW_TO_GET_ONE}`);
  }
  removeStaleFolders();
  const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
  const data = join(dir, 'data');
  // An interrupted run (Ctrl-C) may exit before stop() finishes: take the server and its folder down with it.
  const onExit = (): void => {
    signalPostmaster(data, 'SIGQUIT');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const command = (bin: string, args: string[]): [string, string[]] =>
    runuser ? [runuser, ['-u', SERVER_USER, '--', bin, ...args]] : [bin, args];
  let child: ChildProcess | undefined;
  try {
    if (asRoot) {
      const uid = Number(await run('id', ['-u', SERVER_USER]));
      const gid = Number(await run('id', ['-g', SERVER_USER]));
      chownSync(dir, uid, gid);
    }
    await run(...command(initdb, ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']));
    const port = await freePort();
    const [bin, args] = command(postgres, [
      '-D', data,
      '-p', String(port),
      '-k', dir,
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'fsync=off',
      '-c', 'full_page_writes=off',
      '-c', 'synchronous_commit=off',
      // Test files run in parallel and each store holds a pool.
      '-c', 'max_connections=300',
    ]);
    child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-OUTPUT_LIMIT);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await waitForServer(url, child, () => output);
    const started = child;
    let stopping: Promise<void> | undefined;
    return {
      url,
      source: 'postgres',
      stop: () =>
        (stopping ??= stopServer(started, data).finally(() => {
          process.off('exit', onExit);
          rmSync(dir, { recursive: true, force: true });
        })),
    };
  } catch (err) {
    if (child) await stopServer(child, data);
    process.off('exit', onExit);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Removes folders of private servers that are no longer running and are older than {@link STALE_AFTER_MS}. */
function removeStaleFolders(): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir()).filter((n) => n.startsWith(DIR_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = join(tmpdir(), name);
    try {
      if (Date.now() - statSync(dir).mtimeMs < STALE_AFTER_MS) continue;
      const pid = postmasterPid(join(dir, 'data'));
      if (pid !== undefined && isAlive(pid)) continue;
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // another run's folder that we may not touch, or gone meanwhile
    }
  }
}

/** The postmaster's pid: the first line of `postmaster.pid`, present while it runs. */
function postmasterPid(data: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalPostmaster(data: string, signal: NodeJS.Signals): boolean {
  const pid = postmasterPid(data);
  if (pid === undefined) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

async function startContainerPostgres(): Promise<PostgresService> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer('postgres:16-alpine')
    .withExposedPorts(5432)
    .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
    .withCommand(['postgres', '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off', '-c', 'max_connections=300'])
    // The entrypoint starts a temporary server first: the second "ready" is the real one.
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  return {
    url: `postgres://postgres@${container.getHost()}:${container.getMappedPort(5432)}/postgres`,
    source: 'testcontainers',
    stop: async () => {
      await container.stop();
    },
  };
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 60_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stderr.slice(-OUTPUT_LIMIT)}`, { cause: err }));
      else resolve(stdout.trim());
    });
  });
}

async function waitForServer(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited with code ${child.exitCode}: ${output()}`);
    try {
      await withAdmin(url, (c) => c.query('SELECT 1'));
      return;
    } catch (err) {
      // Refused while it binds; 57P03 "the database system is starting up" while it recovers.
      if (Date.now() > deadline) {
        throw new Error(`postgres did not accept connections at ${url} within ${START_TIMEOUT_MS / 1000} s (${(err as Error).message}): ${output()}`);
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Fast shutdown: SIGINT to the postmaster itself (its pid is the first line of
 * `postmaster.pid`), since `runuser` turns signals it gets into SIGTERM plus a
 * SIGKILL. Killed when it takes longer than {@link STOP_TIMEOUT_MS}.
 */
function stopServer(child: ChildProcess, data: string): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const signal = (sig: NodeJS.Signals): void => {
    // Before it wrote its pid file, the child itself is the one to signal.
    if (!signalPostmaster(data, sig)) child.kill(sig);
  };
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal('SIGKILL');
      child.kill('SIGKILL');
    }, STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    signal('SIGINT');
  });
}
