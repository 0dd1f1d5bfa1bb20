import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Layers import downward only (docs/architecture.md): apps -> packages; sdk -> protocol;
 * engine -> store, protocol; store -> protocol; ops -> protocol; nothing imports an app.
 */
const ALLOWED: Record<string, readonly string[]> = {
  'packages/protocol': [],
  'packages/store': ['@cohort/protocol'],
  'packages/engine': ['@cohort/protocol', '@cohort/store'],
  'packages/sdk': ['@cohort/protocol'],
  'packages/ops': ['@cohort/protocol'],
  // Pure: the sweep engine does no I/O and knows nothing of the store, the engine or the SDK.
  'packages/sweeps': [],
  'apps/coordinator': ['@cohort/protocol', '@cohort/store', '@cohort/engine', '@cohort/ops', '@cohort/sweeps'],
  'apps/worker': ['@cohort/protocol', '@cohort/store', '@cohort/engine', '@cohort/ops'],
  // The dashboard runs in the browser: it talks HTTP, never imports server or SDK code.
  'apps/web': [],
  'apps/cli': ['@cohort/protocol', '@cohort/store', '@cohort/engine', '@cohort/sdk', '@cohort/coordinator', '@cohort/worker'],
};

const root = join(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  let out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(sourceFiles(path));
    else if (/\.(ts|tsx|mts)$/.test(name) && !/\.test\.ts$/.test(name)) out.push(path);
  }
  return out;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

describe('layers', () => {
  for (const [pkg, allowed] of Object.entries(ALLOWED)) {
    it(`${pkg} imports only ${allowed.length ? allowed.join(', ') : 'no other workspace package'}`, () => {
      const offending: string[] = [];
      for (const file of sourceFiles(join(root, pkg, 'src'))) {
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(IMPORT)) {
          const spec = m[1] ?? m[2] ?? '';
          const cohort = /^@cohort\/[^/]+/.exec(spec)?.[0];
          if (cohort && !allowed.includes(cohort) && !pkg.endsWith(cohort.slice('@cohort/'.length))) {
            offending.push(`${relative(root, file)} imports ${spec}`);
          }
          if (spec.startsWith('.') && /\.\.\/\.\.\/(apps|packages)\//.test(spec)) {
            offending.push(`${relative(root, file)} reaches into another workspace by path: ${spec}`);
          }
        }
      }
      expect(offending).toEqual([]);
    });
  }
});
