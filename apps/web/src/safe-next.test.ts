import { describe, expect, it } from 'vitest';
import { safeNext } from './safe-next.js';

const ORIGIN = 'http://127.0.0.1:7712';

describe('safeNext: the page after the login stays on this origin', () => {
  it('keeps a path of this origin, query and fragment included', () => {
    expect(safeNext('/vision/p/runs/a1?tab=charts#loss', ORIGIN)).toBe('/vision/p/runs/a1?tab=charts#loss');
    expect(safeNext('/', ORIGIN)).toBe('/');
  });

  it('sends anything that would leave the origin to /', () => {
    for (const next of ['/\\evil.test/x', '/\t/evil.test/x', '/\n/evil.test', '//evil.test/x', '/\\/evil.test', 'https://evil.test/', 'javascript:alert(1)', 'evil.test', '']) {
      expect([next, safeNext(next, ORIGIN)]).toEqual([next, '/']);
    }
  });
});
