import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { CohortError } from '@cohort/protocol';

/** Most files one glob walks. */
export const MAX_GLOB_FILES = 100_000;

/** A regular expression for a glob over `/`-separated relative paths: `**` any depth, `*` and `?` within a segment, `[...]` a class. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slash = glob[i + 2] === '/';
        out += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        out += `[${glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else out += /[.+^${}()|\\]/.test(c) ? `\\${c}` : c;
  }
  return new RegExp(`^${out}$`);
}

/** The files under `base` whose `/`-separated path relative to it matches `pattern`, sorted. Bounded by {@link MAX_GLOB_FILES}. */
export function globFiles(base: string, pattern: string): string[] {
  const re = globToRegExp(pattern);
  // Walk only below the pattern's static prefix.
  const staticParts: string[] = [];
  for (const part of pattern.split('/').slice(0, -1)) {
    if (/[*?[]/.test(part)) break;
    staticParts.push(part);
  }
  const start = join(base, ...staticParts);
  const out: string[] = [];
  let seen = 0;
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const ent of entries) {
      if (++seen > MAX_GLOB_FILES) throw new CohortError('RESOURCE_EXHAUSTED', `save: the glob ${JSON.stringify(pattern)} walks more than ${MAX_GLOB_FILES} files`);
      const p = join(dir, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (ent.isFile()) {
        const rel = relative(base, p).split(sep).join('/');
        if (re.test(rel)) out.push(rel);
      }
    }
  };
  walk(start);
  return out.sort();
}
