/**
 * JSON that keeps non-finite numbers. `JSON.stringify(NaN)` gives `null`; the
 * Run API keeps NaN and ±Infinity (docs/run-semantics.md §1), so inside JSON text they are
 * written as `{"$cohort":"NaN"}`, `{"$cohort":"Infinity"}` and
 * `{"$cohort":"-Infinity"}`. Every JSON that Cohort stores or serves uses this.
 */
const TAG = '$cohort';

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return { [TAG]: Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity' };
  }
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const tag = (value as Record<string, unknown>)[TAG];
    if (typeof tag === 'string' && Object.keys(value).length === 1) {
      if (tag === 'NaN') return NaN;
      if (tag === 'Infinity') return Infinity;
      if (tag === '-Infinity') return -Infinity;
    }
  }
  return value;
}

/**
 * `JSON.stringify` that keeps NaN and ±Infinity. Plain `JSON.stringify`
 * writes a non-finite number as `null`, so text without `null` held none
 * and is already the answer (about a quarter cheaper than calling the
 * replacer on every value); only text with a `null` is written again with it.
 */
export function stringifyJson(value: unknown): string {
  const plain = JSON.stringify(value);
  if (plain === undefined) return 'null';
  if (!plain.includes('null')) return plain;
  return JSON.stringify(value, replacer) ?? 'null';
}

/**
 * `JSON.parse` that restores NaN and ±Infinity written by {@link stringifyJson}.
 * Text that holds neither the tag nor a `\u` escape (which could spell it)
 * has nothing to restore: a plain parse gives the same value about four
 * times faster than one that calls the reviver on every value.
 */
export function parseJson(text: string): unknown {
  if (!text.includes(TAG) && !text.includes('\\u')) return JSON.parse(text);
  return JSON.parse(text, reviver);
}
