import { describe, expect, it } from 'vitest';
import { globToRegExp } from './glob-match.js';

describe('globToRegExp', () => {
  it('matches * within a segment, ** across segments and ? one character', () => {
    const star = globToRegExp('out/*.txt');
    expect(star.test('out/a.txt')).toBe(true);
    expect(star.test('out/sub/a.txt')).toBe(false);
    const deep = globToRegExp('out/**/*.ckpt');
    expect(deep.test('out/a.ckpt')).toBe(true);
    expect(deep.test('out/x/y/a.ckpt')).toBe(true);
    expect(globToRegExp('f?.log').test('f1.log')).toBe(true);
    expect(globToRegExp('f[0-9].log').test('f7.log')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });
});
