/**
 * JSON that keeps non-finite numbers. `JSON.stringify(NaN)` gives `null`; the
 * Run API keeps NaN and ±Infinity (SEMANTICS §1), so inside JSON text they are
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

/** `JSON.stringify` that keeps NaN and ±Infinity. */
export function stringifyJson(value: unknown): string {
  return JSON.stringify(value, replacer) ?? 'null';
}

/** `JSON.parse` that restores NaN and ±Infinity written by {@link stringifyJson}. */
export function parseJson(text: string): unknown {
  return JSON.parse(text, reviver);
}
