import { describeValue } from '../errors.js';
import { escapeKey, isPlainObject } from '../leaf-path.js';
import { setOwn } from './set-own.js';

/**
 * The values `run.log` accepts and how they are stored (SEMANTICS §1), checked
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
 * Checks and converts the `data` of one `run.log` call (SEMANTICS §1).
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
    if (type === 'number' || type === 'string' || type === 'boolean' || value === null) {
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
function convertValue(value: unknown, key: string, parent: string | undefined): unknown {
  switch (typeof value) {
    case 'number':
    case 'string':
    case 'boolean':
      return value;
    case 'bigint':
      return Number(value);
    case 'object': {
      if (value === null) return null;
      if (typeof (value as Partial<LogValueSource>).toLogValue === 'function') {
        return (value as LogValueSource).toLogValue();
      }
      if (isPlainObject(value)) {
        const path = pathOf(key, parent);
        const copy: Record<string, unknown> = {};
        for (const k in value) setOwn(copy, k, convertValue(value[k], k, path));
        return copy;
      }
      if (Array.isArray(value)) {
        const path = pathOf(key, parent);
        const copy: unknown[] = new Array<unknown>(value.length);
        for (let i = 0; i < value.length; i++) copy[i] = convertValue(value[i], `${i}`, path);
        return copy;
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
