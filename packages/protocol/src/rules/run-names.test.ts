import { describe, expect, it } from 'vitest';
import { generateRunName } from './run-names.js';

describe('generateRunName', () => {
  it('makes adjective-noun-number names with the number given', () => {
    for (let i = 0; i < 50; i++) expect(generateRunName(12)).toMatch(/^[a-z]+-[a-z]+-12$/);
  });

  it('picks a number from 1 to 999 without one, and for a bad one', () => {
    for (const n of [undefined, 0, -3, 1.5, NaN]) {
      const name = generateRunName(n);
      const number = Number(/-(\d+)$/.exec(name)?.[1]);
      expect(number).toBeGreaterThanOrEqual(1);
      expect(number).toBeLessThanOrEqual(999);
    }
  });

  it('varies its words', () => {
    const words = new Set(Array.from({ length: 40 }, () => generateRunName(1).replace(/-1$/, '')));
    expect(words.size).toBeGreaterThan(10);
  });
});
