import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The committed proto types (src/generated) are what `npm run generate` makes from the
 * protos today: a field or record kind added to a .proto without regenerating fails here,
 * not silently at run time.
 */
const app = join(import.meta.dirname, '..');
const committed = join(app, 'src', 'generated');
const out = mkdtempSync(join(tmpdir(), 'cohort-generated-'));

afterAll(() => rmSync(out, { recursive: true, force: true }));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

function generateInto(dir: string): void {
  const script = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')).scripts.generate as string;
  const args = script.replace(/^rm -rf src\/generated && proto-loader-gen-types /, '').split(/\s+/);
  const o = args.indexOf('-O');
  expect(o, 'the generate script names its output folder with -O').toBeGreaterThan(0);
  args[o + 1] = dir;
  // The coordinator's own @grpc/proto-loader (the root's may be another version, pulled by testcontainers).
  const pkgJson = createRequire(join(app, 'package.json')).resolve('@grpc/proto-loader/package.json');
  const bin = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { bin: Record<string, string> }).bin['proto-loader-gen-types']!;
  execFileSync(process.execPath, [join(dirname(pkgJson), bin), ...args], { cwd: app, stdio: 'pipe' });
}

describe('generated proto types', () => {
  it('match what the protos generate today', () => {
    generateInto(out);
    const want = new Map(files(out).map((f) => [relative(out, f), readFileSync(f, 'utf8')]));
    const have = new Map(files(committed).map((f) => [relative(committed, f), readFileSync(f, 'utf8')]));
    expect([...have.keys()].sort(), 'run `npm run generate -w @cohort/coordinator`').toEqual([...want.keys()].sort());
    const stale = [...want].filter(([name, text]) => have.get(name) !== text).map(([name]) => name);
    expect(stale, 'stale: run `npm run generate -w @cohort/coordinator`').toEqual([]);
  });
});
