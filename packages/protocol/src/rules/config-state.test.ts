import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { cleanKey, ConfigState, configValuesEqual, toConfigValue } from './config-state.js';

describe('ConfigState', () => {
  it('strips leading and trailing - from keys', () => {
    const config = new ConfigState();
    expect(config.update({ '--lr': 0.1, 'batch-size-': 32 }).applied).toEqual({ lr: 0.1, 'batch-size': 32 });
    expect(config.get('lr')).toBe(0.1);
    expect(config.get('--lr')).toBe(0.1);
  });

  it('throws ConfigError when an existing key changes value', () => {
    const config = new ConfigState({ lr: 0.1 });
    expect(() => config.update({ lr: 0.2 })).toThrow(ConfigError);
    expect(() => config.update({ lr: 0.2 })).toThrow(/^Attempted to change value of key "lr" from 0\.1 to 0\.2\n.*allowValChange: true/);
  });

  it('applies nothing of an update that has one changed key', () => {
    const config = new ConfigState({ lr: 0.1 });
    expect(() => config.update({ a: 1, lr: 0.2 })).toThrow(ConfigError);
    expect(config.has('a')).toBe(false);
  });

  it('allows the same value, with 1 equal to 1.0 and deep equality', () => {
    const config = new ConfigState({ n: 1, nested: { a: [1, { b: 'x' }] } });
    expect(config.update({ n: 1.0, nested: { a: [1, { b: 'x' }] } }).applied).toEqual({ n: 1, nested: { a: [1, { b: 'x' }] } });
    expect(() => config.update({ nested: { a: [1, { b: 'y' }] } })).toThrow(/key "nested"/);
  });

  it('replaces a value with allowValChange', () => {
    const config = new ConfigState({ lr: 0.1 });
    expect(config.update({ lr: 0.2 }, { allowValChange: true }).applied).toEqual({ lr: 0.2 });
    expect(config.get('lr')).toBe(0.2);
  });

  it('quotes strings in the change message', () => {
    const config = new ConfigState({ opt: 'adam' });
    expect(() => config.update({ opt: 'sgd' })).toThrow('Attempted to change value of key "opt" from "adam" to "sgd"');
  });

  it('ignores locked keys with a warning while the other keys apply', () => {
    const config = new ConfigState({ lr: 0.1 });
    config.lock(['lr']);
    const result = config.update({ lr: 0.5, epochs: 3 }, { allowValChange: true });
    expect(result.applied).toEqual({ epochs: 3 });
    expect(result.warnings).toEqual([expect.stringMatching(/"lr" was locked by a sweep/)]);
    expect(config.get('lr')).toBe(0.1);
    expect(config.isLocked('--lr')).toBe(true);
  });

  it('adds only absent keys with setDefaults', () => {
    const config = new ConfigState({ lr: 0.1 });
    expect(config.setDefaults({ lr: 0.5, epochs: 3 })).toEqual({ epochs: 3 });
    expect(config.toJSON()).toEqual({ lr: 0.1, epochs: 3 });
  });

  it('hides keys starting with _ from keys() but keeps them in toJSON', () => {
    const config = new ConfigState({ _wandb: { x: 1 }, a: 1 });
    expect(config.keys()).toEqual(['a']);
    expect(config.toJSON()).toEqual({ _wandb: { x: 1 }, a: 1 });
  });

  it('removes keys', () => {
    const config = new ConfigState({ a: 1, b: 2 });
    expect(config.remove(['a', 'c'])).toEqual(['a']);
    expect(config.keys()).toEqual(['b']);
  });

  it('accepts a Map of values', () => {
    const config = new ConfigState();
    expect(config.update(new Map([['a', 1]])).applied).toEqual({ a: 1 });
  });

  it('rejects values that are not an object with a TypeError', () => {
    const config = new ConfigState();
    expect(() => config.update(5)).toThrow(TypeError);
    expect(() => config.update([1])).toThrow(TypeError);
    expect(() => config.update({}, { allowValChange: 'yes' } as never)).toThrow(/allowValChange/);
  });
});

describe('toConfigValue', () => {
  it('turns a Set into an array and a Map into an object', () => {
    expect(toConfigValue(new Set([1, 2]))).toEqual([1, 2]);
    expect(toConfigValue(new Map<unknown, unknown>([['a', 1], [2, new Set(['x'])]]))).toEqual({ a: 1, 2: ['x'] });
  });

  it('turns class instances into their plain data without methods', () => {
    class Opt {
      lr = 0.1;
      betas = [0.9, 0.99];
      step = (): void => {};
      describe(): string {
        return 'opt';
      }
    }
    expect(toConfigValue({ opt: new Opt() })).toEqual({ opt: { lr: 0.1, betas: [0.9, 0.99] } });
  });

  it('turns dates into ISO strings, typed arrays into arrays and bigints into numbers', () => {
    expect(toConfigValue({ d: new Date(0), t: new Uint8Array([1, 2]), b: 3n })).toEqual({ d: '1970-01-01T00:00:00.000Z', t: [1, 2], b: 3 });
  });

  it('uses toJSON of objects that have one', () => {
    expect(toConfigValue({ u: new URL('https://x.test/a') })).toEqual({ u: 'https://x.test/a' });
  });

  it('drops undefined inside objects and makes a top-level undefined null', () => {
    expect(toConfigValue({ a: undefined, b: 1 })).toEqual({ b: 1 });
    expect(toConfigValue(undefined)).toBeNull();
  });

  it('rejects functions, symbols and cycles with a TypeError naming the key', () => {
    expect(() => toConfigValue({ f: () => 1 }, 'model')).toThrow(/`model\.f`/);
    expect(() => toConfigValue(Symbol('x'))).toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => toConfigValue(cyclic)).toThrow(/circular/);
  });

  it('allows the same object twice when it is not a cycle', () => {
    const shared = { a: 1 };
    expect(toConfigValue({ x: shared, y: shared })).toEqual({ x: { a: 1 }, y: { a: 1 } });
  });
});

describe('cleanKey and configValuesEqual', () => {
  it('strips only the ends', () => {
    expect(cleanKey('--a-b--')).toBe('a-b');
    expect(cleanKey('---')).toBe('');
  });

  it('compares deeply with NaN equal to NaN', () => {
    expect(configValuesEqual({ a: [NaN] }, { a: [NaN] })).toBe(true);
    expect(configValuesEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(configValuesEqual([1], { 0: 1 })).toBe(false);
    expect(configValuesEqual(null, {})).toBe(false);
  });
});
