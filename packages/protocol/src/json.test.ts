import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJson, stringifyJson } from './json.js';

/** The definitions the fast paths must agree with: every value through the replacer and the reviver. */
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return { $cohort: Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity' };
  return value;
}
function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const tag = (value as Record<string, unknown>)['$cohort'];
    if (typeof tag === 'string' && Object.keys(value).length === 1) {
      if (tag === 'NaN') return NaN;
      if (tag === 'Infinity') return Infinity;
      if (tag === '-Infinity') return -Infinity;
    }
  }
  return value;
}

const values = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.double(),
    fc.constantFrom(NaN, Infinity, -Infinity, null, true, 'null', '$cohort', '\\u0024'),
    fc.string(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('$cohort', 'nullable')), tie('value'), { maxKeys: 4 }),
  ),
})).value;

describe('stringifyJson and parseJson', () => {
  it('write and read exactly what the replacer and reviver do, NaN and infinities included', () => {
    fc.assert(
      fc.property(values, (value) => {
        const text = stringifyJson(value);
        expect(text).toBe(JSON.stringify(value, replacer) ?? 'null');
        expect(parseJson(text)).toEqual(JSON.parse(text, reviver));
      }),
      { numRuns: 500 },
    );
  });

  it('restores a tag spelled with escapes, and keeps an object that only looks like one', () => {
    expect(parseJson('{"a":{"\\u0024cohort":"NaN"}}')).toEqual({ a: NaN });
    expect(parseJson('{"a":{"$cohort":"-Infinity"},"b":[{"$cohort":"Infinity"}]}')).toEqual({ a: -Infinity, b: [Infinity] });
    expect(parseJson('{"a":{"$cohort":"NaN","other":1}}')).toEqual({ a: { $cohort: 'NaN', other: 1 } });
    expect(stringifyJson({ x: NaN, y: null, z: [Infinity] })).toBe('{"x":{"$cohort":"NaN"},"y":null,"z":[{"$cohort":"Infinity"}]}');
    expect(stringifyJson(undefined)).toBe('null');
    expect(stringifyJson({ toJSON: () => NaN })).toBe('{"$cohort":"NaN"}');
  });
});
