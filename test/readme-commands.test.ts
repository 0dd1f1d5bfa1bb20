import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { COMMAND_USAGE } from '@cohort/cli';

/**
 * The README's commands work as written on a fresh clone: `npm ci` links the
 * `cohort` bin (so its target must be a committed file, not a build output),
 * and every command the README shows names an npm script, a `cohort`
 * command or a file of the repository that exists.
 */

const run = promisify(execFile);
const repo = join(import.meta.dirname, '..');
const readme = readFileSync(join(repo, 'README.md'), 'utf8');
const rootPackage = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { workspaces: string[]; scripts: Record<string, string> };

/** The commands of the README's shell blocks, one per `&&`, without comments or leading VAR=value. */
function readmeCommands(): string[] {
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks
    .flatMap((b) => b.split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .flatMap((line) => line.split('&&').map((c) => c.trim().replace(/^([A-Z_]+=\S+\s+)+/, '')));
}

describe("the README's commands on a fresh clone", () => {
  it('every bin of every workspace is a committed file, so npm ci links it before anything is built', () => {
    const bins: string[] = [];
    for (const ws of rootPackage.workspaces) {
      const pkg = JSON.parse(readFileSync(join(repo, ws, 'package.json'), 'utf8')) as { bin?: string | Record<string, string> };
      const targets = typeof pkg.bin === 'string' ? [pkg.bin] : Object.values(pkg.bin ?? {});
      for (const target of targets) bins.push(join(ws, target));
    }
    expect(bins).toContain(join('apps/cli', 'bin/cohort.js'));
    const tracked = execFileSync('git', ['ls-files', '--', ...bins], { cwd: repo, encoding: 'utf8' }).trim().split('\n');
    expect(tracked.sort()).toEqual(bins.sort());
  });

  it('npx cohort runs the CLI from the repository root', async () => {
    const { stdout } = await run('npx', ['--no-install', 'cohort', '--help'], { cwd: repo, timeout: 60_000 });
    expect(stdout).toMatch(/^Usage: cohort <command>/);
  }, 90_000);

  it('the launcher says to build, and exits 1, when the CLI is not built', async () => {
    const pkg = mkdtempSync(join(tmpdir(), 'cohort-unbuilt-'));
    try {
      mkdirSync(join(pkg, 'bin'));
      copyFileSync(join(repo, 'apps/cli/bin/cohort.js'), join(pkg, 'bin/cohort.js'));
      const failed = await run(process.execPath, [join(pkg, 'bin/cohort.js'), '--help']).then(
        () => undefined,
        (err: { code: number; stderr: string }) => err,
      );
      expect(failed?.code).toBe(1);
      expect(failed?.stderr).toBe(`cohort: ${join(pkg, 'dist/main.js')} is not built: run \`npm run build\` in the Cohort repository first\n`);
    } finally {
      rmSync(pkg, { recursive: true, force: true });
    }
  });

  it('names only npm scripts, cohort commands and repository files that exist', () => {
    const commands = readmeCommands();
    expect(commands).toContain('scripts/test.sh');
    const wrong: string[] = [];
    for (const c of commands) {
      const [first, second, third] = c.split(/\s+/);
      if (first === 'npm' && second === 'run' && rootPackage.scripts[third!] === undefined) wrong.push(`${c}: no npm script ${third}`);
      if (first === 'npm' && second === 'test' && rootPackage.scripts['test'] === undefined) wrong.push(`${c}: no npm test script`);
      if (first === 'npx' && second === 'cohort' && COMMAND_USAGE[third!] === undefined) wrong.push(`${c}: no cohort command ${third}`);
      if (/^(\.\/)?(scripts|\.ci)\//.test(first!)) {
        try {
          accessSync(join(repo, first!), constants.X_OK);
        } catch {
          wrong.push(`${c}: ${first} is not an executable file of the repository`);
        }
      }
    }
    expect(wrong).toEqual([]);
    // CI runs the same command the README gives for a fresh machine.
    expect(readFileSync(join(repo, '.ci/run'), 'utf8')).toMatch(/^exec "\$\(dirname "\$0"\)\/\.\.\/scripts\/test\.sh"$/m);
  });
});
