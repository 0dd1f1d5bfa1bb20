import { isDeepStrictEqual } from 'node:util';
import { CohortError, getLeaf, type RunListItem, type RunPage } from '@cohort/protocol';
import { RUN_STATES, type RunState, type Store, type StoreRunFilter } from '@cohort/store';
import { toRunView } from './run-view.js';
import { readObjectColumn } from './stored-state.js';

/**
 * Runs of a project a page at a time (docs/http-api.md, "Runs"; docs/SECURITY.md,
 * "Limits"): the store reads one page through its listing index, with the
 * filters in SQL; config and summary come back only when asked for, and a
 * page stops early once they pass {@link MAX_PAGE_JSON_CHARS}.
 */

/** Most runs one page holds. */
export const MAX_RUNS_PAGE = 1000;
/** Runs per page when none is asked for. */
export const DEFAULT_RUNS_PAGE = 100;
/** Most characters of config and summary JSON one page carries (at least one run's). */
export const MAX_PAGE_JSON_CHARS = 16 * 1024 * 1024;
/** Most runs one page reads from the store while the exact filters leave runs out. */
const MAX_SCANNED = 10 * MAX_RUNS_PAGE;

/** Filters of {@link Engine.listRuns}; all given ones must hold. */
export interface RunFilters {
  state?: string | string[];
  group?: string;
  jobType?: string;
  /** Every one of these tags must be present. */
  tags?: string[];
  name?: string;
  /** Equality on top-level or dotted (leaf path) config keys. */
  config?: Record<string, unknown>;
  /** Equality on top-level or dotted (leaf path) summary keys. */
  summary?: Record<string, unknown>;
}

/** The big fields of a run, left out of a listing unless asked for. */
export type RunField = 'config' | 'summary';
export const RUN_FIELDS: readonly RunField[] = ['config', 'summary'];

/** Which page of {@link Engine.listRuns}. */
export interface RunPageOptions {
  /** 1 to {@link MAX_RUNS_PAGE}. @defaultValue {@link DEFAULT_RUNS_PAGE} */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** Big fields to include. @defaultValue none */
  fields?: readonly RunField[];
}

/** A run of a listing (config and summary only when asked for), and one page (`nextCursor` while more runs may follow): the HTTP API's shapes (@cohort/protocol, http/runs.ts). */
export type { RunListItem, RunPage } from '@cohort/protocol';

function encodeCursor(createdAt: number, pk: number): string {
  return Buffer.from(JSON.stringify([createdAt, pk])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: number; pk: number } {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value) || value.length !== 2 || !Number.isFinite(value[0]) || !Number.isSafeInteger(value[1])) {
    throw new CohortError('INVALID_ARGUMENT', 'cursor: expected the `nextCursor` of an earlier page');
  }
  return { createdAt: value[0] as number, pk: value[1] as number };
}

function checkStates(state: string | string[] | undefined): RunState[] | undefined {
  if (state === undefined) return undefined;
  const wanted = Array.isArray(state) ? state : [state];
  for (const s of wanted) {
    if (!(RUN_STATES as readonly string[]).includes(s)) {
      throw new CohortError('INVALID_ARGUMENT', `filters.state: expected one of ${RUN_STATES.join(', ')}, got ${JSON.stringify(s)}`);
    }
  }
  return wanted as RunState[];
}

function matches(source: Record<string, unknown>, wanted: Record<string, unknown>): boolean {
  for (const [path, value] of Object.entries(wanted)) {
    const actual = path in source ? source[path] : getLeaf(source, path);
    if (!isDeepStrictEqual(actual, value)) return false;
  }
  return true;
}

/** One page of a project's runs, newest first (see {@link Engine.listRuns}). */
export async function listRunsPage(store: Store, entity: string, project: string, filters: RunFilters, page: RunPageOptions): Promise<RunPage> {
  const limit = page.limit ?? DEFAULT_RUNS_PAGE;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_RUNS_PAGE) {
    throw new CohortError('INVALID_ARGUMENT', `limit: expected an integer from 1 to ${MAX_RUNS_PAGE}, got ${String(limit)}`);
  }
  const fields = new Set(page.fields ?? []);
  for (const f of fields) if (!RUN_FIELDS.includes(f)) throw new CohortError('INVALID_ARGUMENT', `fields: expected some of ${RUN_FIELDS.join(', ')}, got ${JSON.stringify(f)}`);
  const states = checkStates(filters.state);
  const exact = filters.config !== undefined || filters.summary !== undefined;
  const base: StoreRunFilter = {
    ...(states && { states }),
    ...(filters.group !== undefined && { group: filters.group }),
    ...(filters.jobType !== undefined && { jobType: filters.jobType }),
    ...(filters.name !== undefined && { name: filters.name }),
    ...(filters.tags !== undefined && { tags: filters.tags }),
    ...(filters.config !== undefined && { config: filters.config }),
    ...(filters.summary !== undefined && { summary: filters.summary }),
    brief: fields.size === 0 && !exact,
    limit,
  };
  const runs: RunListItem[] = [];
  let after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
  let scanned = 0;
  let chars = 0;
  for (;;) {
    const stored = await store.listRuns(entity, project, { ...base, ...(after && { after }) });
    for (const run of stored) {
      after = { createdAt: run.createdAt, pk: run.pk };
      scanned++;
      const config = exact || fields.has('config') ? readObjectColumn(run, 'config') : undefined;
      const summary = exact || fields.has('summary') ? readObjectColumn(run, 'summary') : undefined;
      if (filters.config && !matches(config!, filters.config)) continue;
      if (filters.summary && !matches(summary!, filters.summary)) continue;
      const { config: _c, summary: _s, ...brief } = toRunView({ ...run, configJson: '', summaryJson: '' });
      const item: RunListItem = brief;
      if (fields.has('config')) item.config = config!;
      if (fields.has('summary')) item.summary = summary!;
      runs.push(item);
      chars += (fields.has('config') ? run.configJson.length : 0) + (fields.has('summary') ? run.summaryJson.length : 0);
      if (runs.length === limit || chars > MAX_PAGE_JSON_CHARS) return { runs, nextCursor: encodeCursor(run.createdAt, run.pk) };
    }
    if (stored.length < limit) return { runs };
    if (scanned >= MAX_SCANNED) return { runs, nextCursor: encodeCursor(after!.createdAt, after!.pk) };
    // Let other requests in between store pages.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
