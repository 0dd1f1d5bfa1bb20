import { CohortError } from '../errors.js';
import { parseJson, stringifyJson } from '../json.js';
import { escapeKey, forEachLeaf, isSubtree } from '../leaf-path.js';
import { emptyRows, type RowsMessage } from '../records.js';
import { checkRows } from '../schemas/rows-checks.js';
import type { PendingRow } from './step-machine.js';

/**
 * History rows by column (`Rows` in `records.proto`): the SDK packs flushed
 * rows with {@link RowsBuilder}; the engine unpacks them with
 * {@link forEachRow}. Numbers travel as doubles, everything else as JSON text
 * written by `stringifyJson`.
 */

/** The automatic keys of every row; they are columns, never cells. */
export const AUTOMATIC_KEYS = ['_step', '_runtime', '_timestamp'] as const;

/** One leaf of a row: its path and value. */
export type RowLeaf = [path: string, value: unknown];

/** Options of {@link RowsBuilder}. */
export interface RowsBuilderOptions {
  /** Write the `steps` column. @defaultValue `true` unless a label is given (shared mode: the server assigns steps) */
  steps?: boolean;
}

/** Builders forget cached keys past this many, at the next `build()`. */
const MAX_CACHED_KEYS = 100_000;

/** A key's index in the message being built, valid while `gen` is the builder's. */
interface KeySlot {
  readonly path: string;
  index: number;
  gen: number;
}

function isAutomaticKey(key: string): boolean {
  return key.charCodeAt(0) === 95 && (key === '_step' || key === '_runtime' || key === '_timestamp');
}

/**
 * Packs history rows into one `Rows` message. Keys are de-duplicated into
 * `keys`; a flat row of numbers costs one map lookup and two pushes per key.
 *
 * @example
 * const builder = new RowsBuilder();
 * builder.add({ step: 0, timestamp: 1700000000, data: { loss: 0.5, phase: 'train' } }, 1.25);
 * const rows = builder.build(); // keys ['loss', 'phase'], numValues [0.5], jsonValues ['"train"']
 */
export class RowsBuilder {
  readonly #label: string;
  readonly #withSteps: boolean;
  /** Top-level object keys (unescaped) to slots. */
  readonly #topSlots = new Map<string, KeySlot>();
  /** Nested leaf paths (escaped, with a ".") to slots. */
  readonly #pathSlots = new Map<string, KeySlot>();
  #gen = 0;
  #rows: RowsMessage = emptyRows();
  #points = 0;
  #num = 0;
  #json = 0;

  /**
   * @param label - the writer's label in shared mode (`''` otherwise).
   * @param options - see {@link RowsBuilderOptions}.
   */
  constructor(label = '', options: RowsBuilderOptions = {}) {
    this.#label = label;
    this.#withSteps = options.steps ?? label === '';
  }

  /** The number of rows added since the last build. */
  get size(): number {
    return this.#rows.timestamps.length;
  }

  /** The number of cells (leaves, automatic keys not counted) added since the last build. */
  get points(): number {
    return this.#points;
  }

  /** Adds one row; `runtime` is its `_runtime` in seconds. Reads `row.data` without keeping it. */
  add(row: PendingRow, runtime: number): void {
    const r = this.#rows;
    if (this.#withSteps) r.steps.push(row.step);
    r.timestamps.push(row.timestamp);
    r.runtimes.push(runtime);
    this.#num = 0;
    this.#json = 0;
    const data = row.data;
    for (const key in data) {
      const value = data[key];
      if (typeof value === 'number') {
        if (isAutomaticKey(key)) continue;
        r.numKeys.push(this.#topIndex(key));
        r.numValues.push(value);
        this.#num++;
      } else if (isSubtree(value)) {
        this.#addNested(value, escapeKey(key));
      } else {
        if (isAutomaticKey(key)) continue;
        r.jsonKeys.push(this.#topIndex(key));
        r.jsonValues.push(toJsonText(value));
        this.#json++;
      }
    }
    r.numCounts.push(this.#num);
    r.jsonCounts.push(this.#json);
    this.#points += this.#num + this.#json;
  }

  /** Returns the message of the rows added so far and starts a new one. */
  build(): RowsMessage {
    const out = this.#rows;
    out.label = this.#label;
    this.#rows = emptyRows();
    this.#points = 0;
    this.#gen++;
    if (this.#topSlots.size + this.#pathSlots.size > MAX_CACHED_KEYS) {
      this.#topSlots.clear();
      this.#pathSlots.clear();
    }
    return out;
  }

  #addNested(obj: Record<string, unknown>, prefix: string): void {
    const r = this.#rows;
    for (const key in obj) {
      const value = obj[key];
      const path = `${prefix}.${escapeKey(key)}`;
      if (typeof value === 'number') {
        r.numKeys.push(this.#pathIndex(path));
        r.numValues.push(value);
        this.#num++;
      } else if (isSubtree(value)) {
        this.#addNested(value, path);
      } else {
        r.jsonKeys.push(this.#pathIndex(path));
        r.jsonValues.push(toJsonText(value));
        this.#json++;
      }
    }
  }

  #topIndex(key: string): number {
    let slot = this.#topSlots.get(key);
    if (slot === undefined) {
      slot = { path: escapeKey(key), index: 0, gen: -1 };
      this.#topSlots.set(key, slot);
    }
    return this.#indexOf(slot);
  }

  #pathIndex(path: string): number {
    let slot = this.#pathSlots.get(path);
    if (slot === undefined) {
      slot = { path, index: 0, gen: -1 };
      this.#pathSlots.set(path, slot);
    }
    return this.#indexOf(slot);
  }

  #indexOf(slot: KeySlot): number {
    if (slot.gen !== this.#gen) {
      slot.gen = this.#gen;
      slot.index = this.#rows.keys.push(slot.path) - 1;
    }
    return slot.index;
  }
}

function toJsonText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return value === null ? 'null' : stringifyJson(value);
  }
}

function invalidRows(message: string): CohortError {
  return new CohortError('INVALID_ARGUMENT', `rows: ${message}`);
}

/** Structure only: the size limits are the coordinator's to apply (schemas/limits.ts). */
const NO_LIMITS = {
  maxRowsPerRecord: Infinity,
  maxKeysPerRecord: Infinity,
  maxKeyLength: Infinity,
  maxValueLength: Infinity,
  maxDepth: Infinity,
  maxNameLength: Infinity,
};

/**
 * Checks that a `Rows` message is consistent (the rules of `checkRows`,
 * without size limits) and returns its row count. Throws `CohortError`
 * INVALID_ARGUMENT naming the field.
 */
export function validateRows(rows: RowsMessage): number {
  const issue = checkRows(rows, NO_LIMITS);
  if (issue) throw invalidRows(`${formatRowsPath(issue.path)}${issue.message}`);
  return rows.timestamps.length;
}

function formatRowsPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${part}`;
  return out ? `${out}: ` : '';
}

/**
 * Visits each row of a `Rows` message (after {@link validateRows}) with its
 * leaves: the numeric cells, the JSON cells parsed with `parseJson`, then
 * `_step` (when the message has steps), `_runtime` and `_timestamp`. Each
 * call gets a new `leaves` array that the visitor may keep.
 *
 * @example
 * forEachRow(rows, (i, step, timestamp, runtime, leaves) => tracker.applyRow(leaves));
 */
export function forEachRow(
  rows: RowsMessage,
  visit: (i: number, step: number | undefined, timestamp: number, runtime: number, leaves: RowLeaf[]) => void,
): void {
  const n = validateRows(rows);
  const { keys, numKeys, numValues, jsonKeys, jsonValues, steps, timestamps, runtimes } = rows;
  const withSteps = steps.length > 0;
  let num = 0;
  let json = 0;
  for (let i = 0; i < n; i++) {
    const numEnd = num + rows.numCounts[i]!;
    const jsonEnd = json + rows.jsonCounts[i]!;
    const leaves: RowLeaf[] = [];
    for (; num < numEnd; num++) leaves.push([keys[numKeys[num]!]!, numValues[num]!]);
    for (; json < jsonEnd; json++) {
      const key = keys[jsonKeys[json]!]!;
      let value: unknown;
      try {
        value = parseJson(jsonValues[json]!);
      } catch (err) {
        throw invalidRows(`the value of \`${key}\` in row ${i} is not JSON (${(err as Error).message})`);
      }
      leaves.push([key, value]);
    }
    const step = withSteps ? steps[i]! : undefined;
    const timestamp = timestamps[i]!;
    const runtime = runtimes[i]!;
    if (step !== undefined) leaves.push(['_step', step]);
    leaves.push(['_runtime', runtime], ['_timestamp', timestamp]);
    visit(i, step, timestamp, runtime, leaves);
  }
}

/**
 * The leaves of a flushed row as {@link forEachRow} would give them after a
 * round trip: its data's leaves, then `_step` (unless `withStep` is false,
 * as in shared mode), `_runtime` and `_timestamp`. For the SDK's summary
 * mirror.
 */
export function pendingRowLeaves(row: PendingRow, runtime: number, withStep = true): RowLeaf[] {
  const leaves: RowLeaf[] = [];
  forEachLeaf(row.data, (path, value) => {
    if (!isAutomaticKey(path)) leaves.push([path, value]);
  });
  if (withStep) leaves.push(['_step', row.step]);
  leaves.push(['_runtime', runtime], ['_timestamp', row.timestamp]);
  return leaves;
}
