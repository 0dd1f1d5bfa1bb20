import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type ServerProcess } from '../../apps/cli/test/helpers.js';
import { writeOfflineProject } from './offline-project.js';

/**
 * Cohort outside this repository (README "Add Cohort to your own project"):
 * `npm pack` of every workspace, then two projects under the OS temp folder,
 * installed with no network (offline-project.ts): a training project with
 * only the SDK, and a server project with the CLI. The server project's
 * `cohort server` serves the dashboard; the training project logs a run to it
 * and reads it back through the `Api`; a TypeScript file there type-checks
 * against the SDK's shipped types. The CLI install takes better-sqlite3's
 * native binary as a user's install does, from a prebuilt archive (here the
 * checkout's own build, handed to prebuild-install as a local prebuild, since
 * there is no network); without one it compiles SQLite (minutes), hence the
 * long timeouts.
 */

const run = promisify(execFile);
const repo = join(import.meta.dirname, '../..');
const TSC = join(repo, 'node_modules/typescript/bin/tsc');
const INSTALL_MS = 8 * 60_000;

/** The environment of a user's shell: none of the npm_* variables of the `npm test` running this. */
const userEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || k.toLowerCase() === 'npm_config_cache'),
);

/**
 * A folder holding the checkout's better-sqlite3 binary as the prebuilt archive prebuild-install
 * would download (`better-sqlite3-v<version>-node-v<abi>-<platform>-<arch>.tar.gz`), or undefined
 * when the checkout has none (then the install compiles it).
 */
async function localPrebuilds(dir: string): Promise<string | undefined> {
  const pkgDir = dirname(createRequire(join(repo, 'package.json')).resolve('better-sqlite3/package.json'));
  if (!existsSync(join(pkgDir, 'build/Release/better_sqlite3.node'))) return undefined;
  const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  const archive = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  mkdirSync(dir, { recursive: true });
  await run('tar', ['-czf', join(dir, archive), '-C', pkgDir, 'build/Release/better_sqlite3.node']);
  return dir;
}

async function npm(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    // JOBS: when node-gyp compiles better-sqlite3's SQLite, on every core.
    const { stdout } = await run('npm', args, { cwd, env: { ...userEnv, JOBS: 'max', ...env }, maxBuffer: 64 * 1024 * 1024, timeout: INSTALL_MS });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    const hint = /ENOTCACHED/.test(e.stderr ?? '') ? ' (the npm cache lacks a package of the repository\'s lock: `npm ci` fills it)' : '';
    throw new Error(`npm ${args.join(' ')} in ${cwd} failed${hint}: ${e.message}\n${(e.stderr ?? '').slice(-4000)}`);
  }
}

/** The README's training script ("Use it in a training script"), word for word. */
const README_SCRIPT = /## Use it in a training script\n\n```ts\n([\s\S]*?)```/.exec(readFileSync(join(repo, 'README.md'), 'utf8'))?.[1] ?? '';

const READ = `import { Api } from '@cohort/sdk';
const [run] = await new Api().runs('mnist');
const history = await run.history({ keys: ['train/loss', 'val/loss'] });
console.log(JSON.stringify({ state: run.state, config: run.config, summary: run.summary, rows: history.length }));
`;

/** The README's script as TypeScript, and a line that only type-checks if the SDK's types are real (not any). */
const TYPED = `${README_SCRIPT}
import { Api, type ApiRun } from '@cohort/sdk';
const runs: ApiRun[] = await new Api({ baseUrl: 'http://127.0.0.1:7712' }).runs('mnist');
// @ts-expect-error: a row is a record of values
runs[0]?.history({ keys: 'train/loss' });
`;

const TSCONFIG = {
  compilerOptions: { target: 'ES2023', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false },
  files: ['typed.ts'],
};

describe('the packed packages, installed in a project outside the repository', () => {
  const root = mkdtempSync(join(tmpdir(), 'cohort-pack-'));
  const packs = join(root, 'packs');
  const training = join(root, 'training');
  const serving = join(root, 'serving');
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    if (!existsSync(join(repo, 'apps/web/dist/index.html'))) throw new Error('the workspaces are not built: run `npm run build` first (`npm test` does)');
    for (const dir of [packs, training, serving]) mkdirSync(dir);
    await npm(repo, ['pack', '--workspaces', '--pack-destination', packs, '--silent']);
    writeOfflineProject({ repo, dir: training, packs, packages: ['@cohort/sdk'] });
    // npm 11 runs a dependency's install script only when the project allows it: better-sqlite3 builds SQLite.
    writeOfflineProject({ repo, dir: serving, packs, packages: ['@cohort/cli'], allowScripts: { 'better-sqlite3': true } });
    await npm(training, ['install', '--offline', '--no-audit', '--no-fund']);
    const prebuilds = await localPrebuilds(join(root, 'prebuilds'));
    await npm(serving, ['install', '--offline', '--no-audit', '--no-fund'], prebuilds ? { npm_config_better_sqlite3_local_prebuilds: prebuilds } : {});
    server = await spawnServer(join(serving, 'data'), { command: [join(serving, 'node_modules/.bin/cohort')], cwd: serving, env: userEnv });
  }, 2 * INSTALL_MS);

  afterAll(async () => {
    await server?.[Symbol.asyncDispose]();
    rmSync(root, { recursive: true, force: true });
  });

  it('installs the SDK without the server side: no SQLite, Postgres, queue or dashboard', () => {
    const installed = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
    expect(installed(join(training, 'node_modules/@cohort')).sort()).toEqual(['protocol', 'sdk']);
    for (const heavy of ['better-sqlite3', 'pg', 'bullmq', 'ioredis', 'pino']) expect(installed(join(training, 'node_modules')), heavy).not.toContain(heavy);
    expect(existsSync(join(training, 'node_modules/@cohort/protocol/protos/cohort/v1/service.proto'))).toBe(true);
  });

  it('serves the dashboard from the installed CLI', async () => {
    const page = await fetch(`${server!.http}/local/packed`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    const script = /<script type="module" crossorigin src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script, html).toBeDefined();
    const js = await fetch(`${server!.http}${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(server!.stderr()).not.toContain('dashboard is not');
  });

  it("runs the README's training script against it and reads the run back through the Api", async () => {
    expect(README_SCRIPT).toContain("from '@cohort/sdk'");
    writeFileSync(join(training, 'train.mjs'), README_SCRIPT);
    writeFileSync(join(training, 'read.mjs'), READ);
    const env = { ...userEnv, COHORT_URL: server!.http };
    await run(process.execPath, ['train.mjs'], { cwd: training, env, timeout: 60_000 });
    const read = JSON.parse((await run(process.execPath, ['read.mjs'], { cwd: training, env, timeout: 60_000 })).stdout);
    expect(read).toMatchObject({ state: 'finished', config: { lr: 0.1, epochs: 3 }, summary: { 'train/loss': 1 / 100, _step: 100 }, rows: 101 });
  }, 120_000);

  it("type-checks the README's training script as TypeScript against the shipped types", async () => {
    writeFileSync(join(training, 'typed.ts'), TYPED);
    writeFileSync(join(training, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    const result = await run(process.execPath, [TSC, '-p', training], { cwd: training, env: userEnv }).then(
      () => 'ok',
      (err: { stdout?: string }) => err.stdout ?? String(err),
    );
    expect(result).toBe('ok');
  }, 180_000);
});
