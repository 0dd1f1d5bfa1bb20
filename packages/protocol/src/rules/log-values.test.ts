import { describe, expect, it } from 'vitest';
import { histogram, normalizeLogData } from './log-values.js';

describe('normalizeLogData', () => {
  it('passes numbers, strings, booleans and null through', () => {
    expect(normalizeLogData({ a: 1, b: 'x', c: true, d: null })).toEqual({ a: 1, b: 'x', c: true, d: null });
  });

  it('keeps NaN and the infinities', () => {
    const out = normalizeLogData({ n: NaN, p: Infinity, m: -Infinity });
    expect(out.n).toBeNaN();
    expect(out.p).toBe(Infinity);
    expect(out.m).toBe(-Infinity);
  });

  it('returns a new object and never mutates the caller’s', () => {
    const nested = { b: 1 };
    const data = { a: nested, _step: 3 };
    const out = normalizeLogData(data);
    expect(out).not.toBe(data);
    expect(out.a).not.toBe(nested);
    expect(out.a).toEqual({ b: 1 });
    expect(data).toEqual({ a: { b: 1 }, _step: 3 });
  });

  it('drops a top-level _step but keeps a nested one', () => {
    expect(normalizeLogData({ _step: 5, x: 1, a: { _step: 2 } })).toEqual({ x: 1, a: { _step: 2 } });
  });

  it('keeps a numeric _timestamp given by the caller', () => {
    expect(normalizeLogData({ _timestamp: 12.5 })).toEqual({ _timestamp: 12.5 });
  });

  it('rejects a _timestamp that is not a number', () => {
    expect(() => normalizeLogData({ _timestamp: 'now' })).toThrow(TypeError);
    expect(() => normalizeLogData({ _timestamp: new Date() })).toThrow(/`_timestamp`/);
  });

  it.each([
    ['an array', [1, 2]],
    ['a Map', new Map([['a', 1]])],
    ['null', null],
    ['a number', 5],
    ['a class instance', new (class Point { x = 1; })()],
  ])('rejects %s as data with a TypeError', (_name, data) => {
    expect(() => normalizeLogData(data)).toThrow(TypeError);
    expect(() => normalizeLogData(data)).toThrow(/Expected `data` to be a plain object/);
  });

  it('accepts an object without a prototype', () => {
    const data = Object.create(null) as Record<string, unknown>;
    data.a = 1;
    expect(normalizeLogData(data)).toEqual({ a: 1 });
  });

  it('turns a typed array of one element into a number', () => {
    expect(normalizeLogData({ a: new Float32Array([0.5]) })).toEqual({ a: 0.5 });
  });

  it('turns a typed array of 2 to 32 elements into a list', () => {
    const out = normalizeLogData({ a: new Int32Array([1, 2, 3]), b: new Float64Array(32).fill(1) });
    expect(out.a).toEqual([1, 2, 3]);
    expect(out.b).toHaveLength(32);
    expect(Array.isArray(out.b)).toBe(true);
  });

  it('turns a longer typed array into a 32-bin histogram over its finite values', () => {
    const values = new Float64Array(64);
    for (let i = 0; i < 64; i++) values[i] = i;
    values[0] = NaN;
    values[1] = Infinity;
    const out = normalizeLogData({ h: values }).h as { _type: string; bins: number[]; values: number[] };
    expect(out._type).toBe('histogram');
    expect(out.bins).toHaveLength(33);
    expect(out.values).toHaveLength(32);
    expect(out.bins[0]).toBe(2);
    expect(out.bins[32]).toBe(63);
    expect(out.values.reduce((a, b) => a + b, 0)).toBe(62);
  });

  it('turns a BigInt64Array into numbers', () => {
    expect(normalizeLogData({ a: new BigInt64Array([1n, 2n]) })).toEqual({ a: [1, 2] });
  });

  it('turns a Date into its ISO string', () => {
    expect(normalizeLogData({ d: new Date(Date.UTC(2024, 0, 2)) })).toEqual({ d: '2024-01-02T00:00:00.000Z' });
  });

  it('rejects an invalid Date naming the key', () => {
    expect(() => normalizeLogData({ d: new Date(NaN) })).toThrow(/`d`.*invalid Date/);
  });

  it('turns a bigint into a number', () => {
    expect(normalizeLogData({ b: 12n })).toEqual({ b: 12 });
  });

  it('uses the result of toLogValue for media objects', () => {
    const image = { toLogValue: () => ({ _type: 'image-file', path: 'media/a.png' }) };
    const media = new (class Image { toLogValue() { return { _type: 'image-file', sha256: 'x' }; } })();
    expect(normalizeLogData({ img: image, m: media })).toEqual({
      img: { _type: 'image-file', path: 'media/a.png' },
      m: { _type: 'image-file', sha256: 'x' },
    });
  });

  it('keeps arrays as copied leaves with their items converted', () => {
    const arr = [1, 'a', new Date(0), [2n]];
    const out = normalizeLogData({ a: arr });
    expect(out.a).toEqual([1, 'a', '1970-01-01T00:00:00.000Z', [2]]);
    expect(out.a).not.toBe(arr);
  });

  it.each([
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['undefined', undefined],
    ['a Map', new Map()],
    ['a Set', new Set([1])],
    ['a class instance', new (class Model { w = 1; })()],
    ['a DataView', new DataView(new ArrayBuffer(4))],
  ])('rejects %s as a value with a TypeError naming the key', (_name, value) => {
    expect(() => normalizeLogData({ key: value })).toThrow(TypeError);
    expect(() => normalizeLogData({ key: value })).toThrow(/Expected `key` to be/);
  });

  it('names the nested path of a bad value, escaping dots', () => {
    expect(() => normalizeLogData({ 'a.b': { c: [1, () => 0] } })).toThrow(/Expected `a\\\.b\.c\.1` to be/);
  });
});

describe('normalizeLogData with a __proto__ key', () => {
  it('keeps a __proto__ key as data, never as the prototype', () => {
    const data = JSON.parse('{"__proto__": {"a": 1}, "n": {"__proto__": {"b": 2}}}') as Record<string, unknown>;
    const out = normalizeLogData(data);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'n']);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ a: 1 });
    expect(Object.getOwnPropertyDescriptor(out.n, '__proto__')?.value).toEqual({ b: 2 });
  });
});

describe('histogram', () => {
  it('widens the range by 0.5 each side when all values are equal', () => {
    const h = histogram([3, 3, 3], 4);
    expect(h.bins).toEqual([2.5, 2.75, 3, 3.25, 3.5]);
    expect(h.values).toEqual([0, 0, 3, 0]);
  });

  it('counts the maximum in the last bin', () => {
    expect(histogram([0, 1, 2, 4], 4).values).toEqual([1, 1, 1, 1]);
  });

  it('gives empty counts over [0, 1] when no value is finite', () => {
    const h = histogram([NaN, Infinity], 2);
    expect(h.bins).toEqual([0, 0.5, 1]);
    expect(h.values).toEqual([0, 0]);
  });
});

describe('normalizeLogData limits (the coordinator refuses the same)', () => {
  it('refuses a key longer than the key limit, naming the limit', () => {
    expect(() => normalizeLogData({ ['k'.repeat(600)]: 1 })).toThrow(/at most 512 characters/);
  });

  it('refuses a string value longer than the value limit as JSON', () => {
    expect(() => normalizeLogData({ text: 'x'.repeat(1024 * 1024 + 1) })).toThrow(/`text` to be at most 1048576 characters as JSON/);
  });

  it('refuses a string whose JSON escapes push it over the value limit', () => {
    expect(() => normalizeLogData({ text: '\u0001'.repeat(200_000) })).toThrow(/as JSON, got 1200002/);
  });

  it('refuses data nested deeper than the depth limit', () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 20; i++) deep = { n: deep };
    expect(() => normalizeLogData({ deep })).toThrow(/nest at most 16 levels/);
  });

  it('refuses an array whose JSON is over the value limit', () => {
    expect(() => normalizeLogData({ list: new Array(300_000).fill(1.5) })).toThrow(/`list` to be at most/);
  });

  it('keeps values within the limits as they are', () => {
    expect(normalizeLogData({ a: { b: [1, 'x'] }, s: 'y'.repeat(1000) })).toEqual({ a: { b: [1, 'x'] }, s: 'y'.repeat(1000) });
  });
});
