import { splitPath } from '@cohort/protocol';

/**
 * Listing runs a page at a time (docs/SECURITY.md, "Limits"): newest first
 * by `(created_at, pk)`, read through one index, filters evaluated in SQL,
 * config and summary left out unless a filter or the caller needs them.
 */

/** Migration 80, the same for SQLite and PostgreSQL: the index a page of a project's runs is read from. */
export const RUN_LIST_MIGRATION = {
  version: 80,
  name: 'runs listed newest first, a page at a time',
  sql: 'CREATE INDEX runs_listing ON runs (entity, project, created_at DESC, pk DESC);',
};

/**
 * The JSON paths a leaf-path equality filter may match: the key as one
 * top-level name, and the key split at its dots. The SQL only narrows the
 * rows (a necessary condition); the engine checks the exact rule on what
 * comes back. Paths with a character that JSON paths cannot quote give none,
 * and the engine alone checks them.
 */
export function filterPaths(path: string): string[][] | undefined {
  const nested = splitPath(path);
  const all = [[path], ...(nested.length > 1 ? [nested] : [])];
  return all.some((segments) => segments.some((s) => /["\\]/.test(s))) ? undefined : all;
}

/** A SQLite JSON path (`$."a"."b"`) of segments from {@link filterPaths}. */
export function sqliteJsonPath(segments: readonly string[]): string {
  return `$${segments.map((s) => `."${s}"`).join('')}`;
}

/** The columns a listing reads: every one of `runs` but the summary state, and config and summary only when asked. */
export function listColumns(withConfigAndSummary: boolean, prefix = ''): string {
  const cols = [
    'pk', 'entity', 'project', 'run_id', 'name', 'state', 'exit_code', 'run_group', 'job_type', 'rank', 'world_size', 'local_rank', 'node',
    'tags', 'notes', 'metrics', 'start_time', 'end_time', 'heartbeat_at', 'runtime', 'runtime_base', 'opened_at', 'last_step', 'applied_seq',
    'version', 'sweep_id', 'host', 'mode', 'forked_from', 'resumed', 'created_at', 'updated_at',
  ].map((c) => prefix + c);
  const big = withConfigAndSummary ? [`${prefix}config`, `${prefix}summary`] : ["'' AS config", "'' AS summary"];
  return [...cols, ...big, "'' AS summary_state"].join(', ');
}

/**
 * SQLite conditions (with their parameters) that keep the runs whose `column`
 * may hold `value` at `path`: scalars only (an object compares by its key
 * order in SQL, not by the equality the engine checks), else none.
 */
export function sqliteLeafCondition(column: 'config' | 'summary', path: string, value: unknown): { sql: string; params: unknown[] } | undefined {
  const paths = filterPaths(path);
  if (!paths) return undefined;
  const one = (p: string): { sql: string; params: unknown[] } | undefined => {
    if (value === null) return { sql: `json_type(${column}, ?) = 'null'`, params: [p] };
    if (typeof value === 'boolean') return { sql: `json_type(${column}, ?) = ?`, params: [p, value ? 'true' : 'false'] };
    if (typeof value === 'string') return { sql: `(json_type(${column}, ?) = 'text' AND json_extract(${column}, ?) = ?)`, params: [p, p, value] };
    if (typeof value === 'number' && Number.isFinite(value)) {
      return { sql: `(json_type(${column}, ?) IN ('integer', 'real') AND json_extract(${column}, ?) = ?)`, params: [p, p, value] };
    }
    return undefined;
  };
  const parts = paths.map((segments) => one(sqliteJsonPath(segments)));
  if (parts.some((x) => x === undefined)) return undefined;
  return { sql: `(${parts.map((x) => x!.sql).join(' OR ')})`, params: parts.flatMap((x) => x!.params) };
}
