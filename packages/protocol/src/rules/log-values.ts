import { CohortError, describeValue } from '../errors.js';
import { stringifyJson } from '../json.js';
import { DEFAULT_LIMITS } from '../schemas/limits.js';
import { escapeKey, isPlainObject } from '../leaf-path.js';
import { setOwn } from './set-own.js';

/**
 * The values `run.log` accepts and how they are stored (docs/run-semantics.md §1), checked
 * on the caller's turn so that a bad value fails where it was logged.
 */

/** The JSON descriptor of a histogram, as logged for a long typed array. */
export interface HistogramDescriptor {
  _type: 'histogram';
  /** `HISTOGRAM_BINS + 1` bin edges, ascending. */
  bins: number[];
  /** `HISTOGRAM_BINS` counts. */
  values: number[];
}

/** An object that turns itself into a loggable JSON descriptor (media types). */
export interface LogValueSource {
  toLogValue(): unknown;
}

/** Typed arrays longer than this become a histogram instead of a list. */
export const MAX_LIST_LENGTH = 32;

/** The number of bins of a histogram made from a long typed array. */
export const HISTOGRAM_BINS = 32;

type AnyTypedArray = ArrayLike<number | bigint>;

const UNDERSCORE = 95;

/**
 * Checks and converts the `data` of one `run.log` call (docs/run-semantics.md §1).
 *
 * Returns a new object: the caller's object is never mutated and nested plain
 * objects are copied. A top-level `_step` is dropped; a top-level `_timestamp`
 * must be a number. Numbers (NaN and ±Infinity included), strings, booleans and
 * null pass; arrays are leaves and are copied with their items converted; a
 * typed array of 1 element becomes a number, of 2–32 a list, of more a
 * {@link HistogramDescriptor}; a `Date` becomes its ISO string; a `bigint` a
 * number; an object with a `toLogValue()` method its result. Anything else
 * (functions, symbols, `undefined`, `Map`, `Set`, class instances) is a
 * `TypeError` naming the key.
 *
 * @example
 * normalizeLogData({ loss: 0.5, w: new Float32Array([1, 2]) }); // { loss: 0.5, w: [1, 2] }
 */
export function normalizeLogData(data: unknown): Record<string, unknown> {
  if (!isPlainObject(data)) {
    throw new TypeError(`Expected \`data\` to be a plain object of values to log, got ${describeValue(data)}`);
  }
  // A spread copy is V8's fastest clone; the loop then only converts what is
  // not already a JSON primitive (nothing, for the common flat row of numbers).
  const out: Record<string, unknown> = { ...data };
  let dropStep = false;
  for (const key in out) {
    const value = out[key];
    const type = typeof value;
    if (key.length > HALF_KEY_LENGTH) checkPathLength(escapeKey(key));
    if (type === 'number' || type === 'string' || type === 'boolean' || value === null) {
      if (type === 'string' && (value as string).length > STRING_CHECK_FROM) checkValueLength(value, escapeKey(key));
      if (key.charCodeAt(0) === UNDERSCORE) {
        if (key === '_step') dropStep = true;
        else if (key === '_timestamp' && type !== 'number') badTimestamp(value);
      }
    } else if (key === '_step') {
      dropStep = true;
    } else {
      if (key === '_timestamp') badTimestamp(value);
      setOwn(out, key, convertValue(value, key, undefined));
    }
  }
  if (dropStep) delete out._step;
  return out;
}

function badTimestamp(value: unknown): never {
  throw new TypeError(`Expected \`_timestamp\` to be a number (seconds since the Unix epoch), got ${describeValue(value)}`);
}

/** `path` is built lazily: only nested values and errors need it. */
function convertValue(value: unknown, key: string, parent: string | undefined, depth = 1): unknown {
  switch (typeof value) {
    case 'number':
    case 'boolean':
      return value;
    case 'string':
      if (value.length > STRING_CHECK_FROM) checkValueLength(value, pathOf(key, parent));
      return value;
    case 'bigint':
      return Number(value);
    case 'object': {
      if (value === null) return null;
      if (typeof (value as Partial<LogValueSource>).toLogValue === 'function') {
        return checkedJson((value as LogValueSource).toLogValue(), pathOf(key, parent));
      }
      if (isPlainObject(value)) {
        const path = pathOf(key, parent);
        checkPathLength(path);
        if (depth >= LIMITS.maxDepth) throw tooDeep(path);
        const copy: Record<string, unknown> = {};
        for (const k in value) setOwn(copy, k, convertValue(value[k], k, path, depth + 1));
        return copy;
      }
      if (Array.isArray(value)) {
        const path = pathOf(key, parent);
        if (depth >= LIMITS.maxDepth) throw tooDeep(path);
        const copy: unknown[] = new Array<unknown>(value.length);
        for (let i = 0; i < value.length; i++) copy[i] = convertValue(value[i], `${i}`, path, depth + 1);
        // An array is one cell: the server takes it as JSON text of bounded length and depth.
        return checkedJson(copy, path);
      }
      if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
        return fromTypedArray(value as unknown as AnyTypedArray);
      }
      if (value instanceof Date) {
        const time = value.getTime();
        if (Number.isNaN(time)) throw badValue(value, key, parent, 'an invalid Date cannot be logged');
        return value.toISOString();
      }
      throw badValue(value, key, parent, undefined);
    }
    default:
      throw badValue(value, key, parent, undefined);
  }
}

/**
 * The coordinator refuses a batch holding a cell over its limits
 * (schemas/limits.ts); the SDK checks the same limits here, on the caller's
 * turn, so a bad value fails its own `log` call instead of a whole upload.
 * The checks cost nothing for ordinary rows: long keys and strings only.
 */
const LIMITS = DEFAULT_LIMITS;
const HALF_KEY_LENGTH = LIMITS.maxKeyLength >> 1;
// JSON escapes at most 6 characters per character (\u0000).
const STRING_CHECK_FROM = Math.floor(LIMITS.maxValueLength / 6);

function checkPathLength(path: string): void {
  if (path.length > LIMITS.maxKeyLength) {
    throw new CohortError(
      'INVALID_ARGUMENT',
      `Expected the logged key \`${path.slice(0, 60)}...\` to be at most ${LIMITS.maxKeyLength} characters long (as a leaf path), got ${path.length}`,
    );
  }
}

function checkValueLength(value: unknown, path: string): void {
  const length = stringifyJson(value).length;
  if (length > LIMITS.maxValueLength) {
    throw new CohortError(
      'INVALID_ARGUMENT',
      `Expected the value of \`${path}\` to be at most ${LIMITS.maxValueLength} characters as JSON, got ${length}`,
    );
  }
}

function checkedJson(value: unknown, path: string): unknown {
  checkValueLength(value, path);
  return value;
}

function tooDeep(path: string): CohortError {
  return new CohortError('INVALID_ARGUMENT', `Expected logged data to nest at most ${LIMITS.maxDepth} levels, got deeper at \`${path}\``);
}

function pathOf(key: string, parent: string | undefined): string {
  return parent === undefined ? escapeKey(key) : `${parent}.${escapeKey(key)}`;
}

function badValue(value: unknown, key: string, parent: string | undefined, why: string | undefined): TypeError {
  const kind = value === null ? 'null' : typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
  return new TypeError(
    `Expected \`${pathOf(key, parent)}\` to be a number, string, boolean, null, array, plain object, typed array, Date or media object, got ${
      why ?? `a value of type ${kind}`
    }: ${describeValue(value)}`,
  );
}

function fromTypedArray(array: AnyTypedArray): number | number[] | HistogramDescriptor {
  const n = array.length;
  const values: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) values[i] = Number(array[i]);
  if (n === 1) return values[0]!;
  if (n <= MAX_LIST_LENGTH) return values;
  return histogram(values, HISTOGRAM_BINS);
}

/**
 * A histogram of the finite values, with `bins` equal-width bins between their
 * minimum and maximum (numpy's `histogram`: the last bin includes its right
 * edge; when all values are equal the range is widened by 0.5 each side).
 */
export function histogram(values: ArrayLike<number>, bins: number = HISTOGRAM_BINS): HistogramDescriptor {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (min > max) {
    min = 0;
    max = 1;
  } else if (min === max) {
    min -= 0.5;
    max += 0.5;
  }
  const width = max - min;
  const edges: number[] = new Array<number>(bins + 1);
  for (let i = 0; i <= bins; i++) edges[i] = min + (width * i) / bins;
  edges[bins] = max;
  const counts: number[] = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    let bin = Math.floor(((v - min) / width) * bins);
    if (bin >= bins) bin = bins - 1;
    else if (bin < 0) bin = 0;
    counts[bin]! += 1;
  }
  return { _type: 'histogram', bins: edges, values: counts };
}
