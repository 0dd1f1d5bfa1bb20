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
  // The dashboard runs in the browser: it talks HTTP, never imports server or SDK code (types: TYPE_ONLY).
  'apps/web': [],
  'apps/cli': ['@cohort/protocol', '@cohort/store', '@cohort/engine', '@cohort/sdk', '@cohort/coordinator', '@cohort/worker'],
};

/**
 * Packages a workspace may import types from, and nothing else: the dashboard
 * takes the HTTP API's types from @cohort/protocol (`import type` and
 * `export type` only, which leave no import in the bundle; `import { type X }`
 * still loads the module, so it counts as a value import).
 */
const TYPE_ONLY: Record<string, readonly string[]> = {
  'apps/web': ['@cohort/protocol'],
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

const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(type\s)?[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The imports of `text` (a file of `pkg`) that break the layers, each as `<file> imports <spec>`. */
function offendingImports(pkg: string, file: string, text: string): string[] {
  const allowed = ALLOWED[pkg] ?? [];
  const offending: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const typeOnly = m[1] !== undefined;
    const spec = m[2] ?? m[3] ?? '';
    const cohort = /^@cohort\/[^/]+/.exec(spec)?.[0];
    if (cohort && !allowed.includes(cohort) && !pkg.endsWith(cohort.slice('@cohort/'.length)) && !(typeOnly && TYPE_ONLY[pkg]?.includes(cohort))) {
      offending.push(`${file} imports ${spec}${TYPE_ONLY[pkg]?.includes(cohort) ? ' (types only: `import type`)' : ''}`);
    }
    if (spec.startsWith('.') && /\.\.\/\.\.\/(apps|packages)\//.test(spec)) {
      offending.push(`${file} reaches into another workspace by path: ${spec}`);
    }
  }
  return offending;
}

describe('layers', () => {
  for (const [pkg, allowed] of Object.entries(ALLOWED)) {
    it(`${pkg} imports only ${allowed.length ? allowed.join(', ') : 'no other workspace package'}${TYPE_ONLY[pkg] ? ` (and types of ${TYPE_ONLY[pkg].join(', ')})` : ''}`, () => {
      const offending = sourceFiles(join(root, pkg, 'src')).flatMap((file) => offendingImports(pkg, relative(root, file), readFileSync(file, 'utf8')));
      expect(offending).toEqual([]);
    });
  }

  it('lets apps/web import types of @cohort/protocol, never values', () => {
    const web = (text: string): string[] => offendingImports('apps/web', 'api.ts', text);
    expect(web("import type { RunView } from '@cohort/protocol';\nexport type { GroupView } from '@cohort/protocol';")).toEqual([]);
    expect(web("import { parseJson } from '@cohort/protocol';")).toEqual(['api.ts imports @cohort/protocol (types only: `import type`)']);
    expect(web("import { type RunView } from '@cohort/protocol';")).toHaveLength(1);
    expect(web("export { HTTP_ROUTES } from '@cohort/protocol';")).toHaveLength(1);
    expect(web("const p = import('@cohort/protocol');")).toHaveLength(1);
    expect(web("import type { Engine } from '@cohort/engine';")).toEqual(['api.ts imports @cohort/engine']);
    expect(offendingImports('packages/sdk', 'a.ts', "import type { Engine } from '@cohort/engine';")).toEqual(['a.ts imports @cohort/engine']);
  });
});
