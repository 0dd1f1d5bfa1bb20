import { CohortError, parseJson, splitPath, type HistoryPage } from '@cohort/protocol';
import type { HistoryColumns, NumericSeries, StepRange, Store } from '@cohort/store';
import { bucketExtremes, xValues } from './series-query.js';

/** Options of {@link Engine.history}. */
export interface HistoryOptions {
  /**
   * Only rows holding at least one of these leaf paths (or subtrees), each with
   * just those keys and `_step`.
   */
  keys?: string[];
  /**
   * Downsample with full fidelity: a key with more points than this in the
   * range is cut into `samples / 3` buckets along `xAxis`, each keeping the
   * rows of the key's min, max and last value (so every spike survives); a
   * key with fewer points keeps every row. Absent: every row.
   */
  samples?: number;
  /**
   * The x the buckets cut: `_step`, `_runtime`, `_timestamp` or any numeric
   * key (a step metric). Rows come back ordered by it. @defaultValue `'_step'`
   */
  xAxis?: string;
  /** Inclusive. */
  minStep?: number;
  /** Inclusive. */
  maxStep?: number;
  /** More rows than this is RESOURCE_EXHAUSTED (the HTTP API keeps the default). @defaultValue {@link MAX_HISTORY_ROWS} */
  maxRows?: number;
}

/** Options of {@link Engine.scanHistory}. */
export interface ScanHistoryOptions {
  /** The first step of the page (inclusive). @defaultValue 0 */
  fromStep?: number;
  /** Rows per page. @defaultValue 1000 */
  pageSize?: number;
}

/** A page of {@link Engine.scanHistory}: the HTTP API's shape (@cohort/protocol, http/history.ts). */
export type { HistoryPage } from '@cohort/protocol';

/** The most rows one history query returns; more is RESOURCE_EXHAUSTED (ask for `samples`, or scan). */
export const MAX_HISTORY_ROWS = 100_000;

/** The automatic keys: never bucketed themselves, they come with the rows. */
const AUTOMATIC_KEYS = new Set(['_step', '_runtime', '_timestamp']);

/** The most rows one scan page may hold. */
export const MAX_PAGE_SIZE = 10_000;

/** A row as its `_step` and leaves. */
export interface LeafRow {
  step: number;
  leaves: Array<[string, unknown]>;
}

function checkCount(value: number | undefined, field: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CohortError('INVALID_ARGUMENT', `${field}: expected an integer from ${min} to ${max}, got ${value}`);
  }
}

function checkStep(value: number | undefined, field: string): void {
  if (value !== undefined && !Number.isFinite(value)) {
    throw new CohortError('INVALID_ARGUMENT', `${field}: expected a finite number, got ${value}`);
  }
}

/** Sorted unique union of the steps of every column. */
function unionSteps(cols: HistoryColumns): Float64Array {
  let n = 0;
  for (const c of cols.numeric) n += c.steps.length;
  for (const c of cols.json) n += c.steps.length;
  const all = new Float64Array(n);
  let at = 0;
  for (const c of cols.numeric) {
    all.set(c.steps, at);
    at += c.steps.length;
  }
  for (const c of cols.json) for (const s of c.steps) all[at++] = s;
  all.sort();
  let u = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[u - 1]) all[u++] = all[i]!;
  return all.subarray(0, u);
}

/** First index `>= x` in an ascending array, searching from `from`. */
function seek(arr: ArrayLike<number>, x: number, from: number): number {
  let lo = from;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Calls `visit(rowIndex, key, value)` for every cell of `cols` at one of `steps` (ascending). */
function eachCell(steps: Float64Array, cols: HistoryColumns, visit: (row: number, key: string, value: unknown) => void): void {
  for (const col of cols.numeric) {
    const cs = col.steps;
    let j = 0;
    for (let i = 0; i < steps.length && j < cs.length; i++) {
      const s = steps[i]!;
      if (cs[j]! < s) j = seek(cs, s, j);
      if (j < cs.length && cs[j] === s) visit(i, col.key, col.values[j]);
    }
  }
  for (const col of cols.json) {
    const cs = col.steps;
    let j = 0;
    for (let i = 0; i < steps.length && j < cs.length; i++) {
      const s = steps[i]!;
      if (cs[j]! < s) j = seek(cs, s, j);
      if (j < cs.length && cs[j] === s) visit(i, col.key, parseJson(col.values[j]!));
    }
  }
}

/**
 * Nested row objects, `_step` first, for the given steps: filled a slice of
 * {@link KEYS_PER_READ} columns at a time, the event loop served between
 * slices (a run of thousands of keys is seconds of cells otherwise).
 */
async function assembleRows(steps: Float64Array, cols: HistoryColumns): Promise<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = new Array(steps.length);
  for (let i = 0; i < steps.length; i++) rows[i] = { _step: steps[i] };
  const parts = new Map<string, string[]>();
  const set = (i: number, key: string, value: unknown): void => {
    let p = parts.get(key);
    if (!p) {
      p = splitPath(key);
      parts.set(key, p);
    }
    setParts(rows[i]!, p, value);
  };
  // Numeric columns, then JSON ones, in order: the keys of each row keep the order of one pass.
  for (const kind of ['numeric', 'json'] as const) {
    for (let i = 0; i < cols[kind].length; i += KEYS_PER_READ) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const slice = cols[kind].slice(i, i + KEYS_PER_READ);
      eachCell(steps, kind === 'numeric' ? { numeric: slice as NumericSeries[], json: [] } : { numeric: [], json: slice as HistoryColumns['json'] }, set);
    }
  }
  return rows;
}

function setParts(target: Record<string, unknown>, parts: string[], value: unknown): void {
  let node = target;
  for (let i = 0; i < parts.length - 1; i++) {
    const k = parts[i]!;
    const next = node[k];
    if (next !== null && typeof next === 'object' && !Array.isArray(next)) node = next as Record<string, unknown>;
    else node = node[k] = {};
  }
  node[parts[parts.length - 1]!] = value;
}

/** Rows as leaves (with `_step` first) for the given steps. */
export function assembleLeafRows(steps: Float64Array, cols: HistoryColumns): LeafRow[] {
  const rows: LeafRow[] = new Array(steps.length);
  for (let i = 0; i < steps.length; i++) rows[i] = { step: steps[i]!, leaves: [['_step', steps[i]]] };
  eachCell(steps, cols, (i, key, value) => rows[i]!.leaves.push([key, value]));
  return rows;
}

/** Keys read per store call; the event loop gets a turn between calls (SQLite reads are synchronous). */
const KEYS_PER_READ = 256;

/** The columns of `keys`, read a slice of keys at a time so a run of many keys does not hold the event loop for the whole read. */
async function readColumns(store: Store, pk: number, range: StepRange, keys: readonly string[]): Promise<HistoryColumns> {
  const out: HistoryColumns = { numeric: [], json: [] };
  for (let i = 0; i < keys.length; i += KEYS_PER_READ) {
    if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const part = await store.readHistory(pk, { ...range, keys: keys.slice(i, i + KEYS_PER_READ) });
    out.numeric.push(...part.numeric);
    out.json.push(...part.json);
  }
  return out;
}

/** Reads history rows of one run (see {@link Engine.history}). */
export async function readHistory(store: Store, pk: number, options: HistoryOptions = {}): Promise<Array<Record<string, unknown>>> {
  checkCount(options.samples, 'history.samples', 1, MAX_HISTORY_ROWS);
  checkCount(options.maxRows, 'history.maxRows', 1);
  checkStep(options.minStep, 'history.minStep');
  checkStep(options.maxStep, 'history.maxStep');
  const xAxis = options.xAxis ?? '_step';
  if (typeof xAxis !== 'string' || xAxis === '' || xAxis.length > 512) {
    throw new CohortError('INVALID_ARGUMENT', `history.xAxis: expected a key of 1 to 512 characters, got ${JSON.stringify(xAxis)}`);
  }
  const range = {
    ...(options.minStep !== undefined && { minStep: options.minStep }),
    ...(options.maxStep !== undefined && { maxStep: options.maxStep }),
  };
  let steps: Float64Array;
  let cols: HistoryColumns;
  if (options.keys !== undefined) {
    const keys = (await store.listHistoryKeys(pk, { match: options.keys })).filter((k) => k !== '_step');
    if (keys.length === 0) return [];
    cols = await readColumns(store, pk, range, keys);
    steps = unionSteps(cols);
  } else {
    steps = await store.readRowSteps(pk, range);
    cols = await readColumns(store, pk, range, await store.listHistoryKeys(pk));
  }
  let xCol: NumericSeries | undefined;
  if (xAxis !== '_step') {
    xCol = cols.numeric.find((c) => c.key === xAxis) ?? (await store.readHistory(pk, { ...range, keys: [xAxis] })).numeric[0];
    if (!xCol) return [];
  }
  if (options.samples !== undefined) steps = bucketedSteps(cols, options.samples, xCol);
  else if (xCol) steps = stepsWithX(steps, xCol);
  const maxRows = options.maxRows ?? MAX_HISTORY_ROWS;
  if (steps.length > maxRows) {
    throw new CohortError(
      'RESOURCE_EXHAUSTED',
      `history: expected at most ${maxRows} rows, the range holds ${steps.length}; pass \`samples\`, fewer keys or a step range, or page with scanHistory`,
    );
  }
  const rows = await assembleRows(steps, cols);
  if (!xCol) return rows;
  const x = xValues(steps, xCol);
  const order = Array.from(rows.keys()).sort((a, b) => x[a]! - x[b]! || a - b);
  return order.map((i) => rows[i]!);
}

/**
 * The steps of the rows the samples keep: per key (automatic keys aside),
 * every row when it has at most `samples` points, else the rows of its min,
 * max and last value in each of `samples / 3` buckets along x (one bucketing
 * with `/series`: {@link bucketExtremes}); merged across keys, ascending.
 */
function bucketedSteps(cols: HistoryColumns, samples: number, xCol: NumericSeries | undefined): Float64Array {
  const buckets = Math.max(1, Math.floor(samples / 3));
  const kept = new Set<number>();
  const keep = (colSteps: Float64Array, y: ArrayLike<number> | undefined): void => {
    const b = bucketExtremes(xCol ? xValues(colSteps, xCol) : colSteps, y, buckets, samples);
    for (const list of [b.min, b.max, b.last]) for (const i of list) kept.add(colSteps[i]!);
  };
  for (const col of cols.numeric) {
    if (!AUTOMATIC_KEYS.has(col.key)) keep(col.steps, col.values);
  }
  for (const col of cols.json) {
    if (!AUTOMATIC_KEYS.has(col.key)) keep(Float64Array.from(col.steps), undefined);
  }
  return Float64Array.from(kept).sort();
}

/** The steps at which the x column has a value. */
function stepsWithX(steps: Float64Array, xCol: NumericSeries): Float64Array {
  const x = xValues(steps, xCol);
  return steps.filter((_, i) => x[i]! - x[i]! === 0);
}

/** One page of every row from a step on (see {@link Engine.scanHistory}). */
export async function scanHistoryPage(store: Store, pk: number, options: ScanHistoryOptions = {}): Promise<HistoryPage> {
  const pageSize = options.pageSize ?? 1000;
  checkCount(pageSize, 'scanHistory.pageSize', 1, MAX_PAGE_SIZE);
  checkStep(options.fromStep, 'scanHistory.fromStep');
  const found = await store.readRowSteps(pk, { minStep: options.fromStep ?? 0, limit: pageSize + 1 });
  if (found.length === 0) return { rows: [], nextStep: null };
  const steps = found.subarray(0, Math.min(pageSize, found.length));
  const cols = await store.readHistory(pk, { minStep: steps[0]!, maxStep: steps[steps.length - 1]! });
  return { rows: await assembleRows(steps, cols), nextStep: found.length > pageSize ? found[pageSize]! : null };
}

/** Visits every stored row of a run up to `maxStep`, as leaves, page by page. */
export async function forEachLeafRow(store: Store, pk: number, maxStep: number, visit: (row: LeafRow) => void): Promise<void> {
  let from = Number.MIN_SAFE_INTEGER;
  for (;;) {
    const found = await store.readRowSteps(pk, { minStep: from, maxStep, limit: 1001 });
    if (found.length === 0) return;
    const steps = found.subarray(0, Math.min(1000, found.length));
    const cols = await store.readHistory(pk, { minStep: steps[0]!, maxStep: steps[steps.length - 1]! });
    for (const row of assembleLeafRows(steps, cols)) visit(row);
    if (found.length <= 1000) return;
    from = found[1000]!;
  }
}
