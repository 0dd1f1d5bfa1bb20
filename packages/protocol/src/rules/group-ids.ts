import { createHash } from 'node:crypto';
import { MAX_NAME_LENGTH } from './names.js';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** `length` characters of `[a-z0-9]` hashed from `parts`. */
function hashId(parts: readonly string[], length: number): string {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  let id = '';
  for (let i = 0; i < length; i++) id += ALPHABET[digest[i]! % 36];
  return id;
}

/**
 * The run id of rank `rank` of a group: 8 characters of `[a-z0-9]` hashed
 * from (entity, project, group, rank), so a restarted process resumes its own
 * run without anyone passing ids around (docs/distributed.md, "Run ids"). The
 * SDK derives it for a group it knows; the coordinator for a group it picked
 * (a group claim).
 */
export function groupRunId(entity: string, project: string, group: string, rank: number): string {
  return hashId([entity, project, group, String(rank)], 8);
}

/**
 * The name of one instance of a job whose launcher's key is not unique:
 * `<base>-<6 characters hashed from the parts>` (docs/distributed.md,
 * "Which job a rank belongs to"), the base cut so the name stays a valid group.
 */
export function groupInstanceName(base: string, parts: readonly string[]): string {
  const suffix = hashId(parts, 6);
  return `${base.slice(0, MAX_NAME_LENGTH - suffix.length - 1)}-${suffix}`;
}
