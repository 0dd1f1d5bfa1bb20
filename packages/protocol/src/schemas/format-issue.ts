import type { z } from 'zod';

/** Writes a zod issue path as `rows.numKeys[17]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/**
 * Turns zod issues into one message naming the field and the rule:
 * `records[3].rows.numKeys[17]: key id 40 is out of range (20 keys)`. Only
 * the first issue is spelled out; the count of the others follows it.
 */
export function formatIssue(where: string, issues: readonly z.core.$ZodIssue[]): string {
  const first = issues[0];
  if (!first) return `${where}: is invalid`;
  const path = formatPath(first.path);
  const at = path === '' ? where : where === '' ? path : path.startsWith('[') ? `${where}${path}` : `${where}.${path}`;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more ${issues.length === 2 ? 'issue' : 'issues'})` : '';
  return `${at || 'value'}: ${first.message}${more}`;
}
