import { describe, expect, it } from 'vitest';
import { deleteLeaf, forEachLeaf, getLeaf, joinPath, setLeaf, splitPath, unflatten } from './leaf-path.js';

function leaves(data: Record<string, unknown>): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  forEachLeaf(data, (path, value) => out.push([path, value]));
  return out;
}

describe('leaf paths', () => {
  it('escapes dots and backslashes inside keys and splits them back', () => {
    const path = joinPath(['a.b', 'c\\d', 'e']);
    expect(path).toBe('a\\.b.c\\\\d.e');
    expect(splitPath(path)).toEqual(['a.b', 'c\\d', 'e']);
  });

  it('visits nested leaves and keeps empty objects and typed descriptors whole', () => {
    const hist = { _type: 'histogram', bins: [0, 1], values: [3] };
    expect(leaves({ a: { b: 1, c: {} }, h: hist, 'x.y': 2 })).toEqual([
      ['a.b', 1],
      ['a.c', {}],
      ['h', hist],
      ['x\\.y', 2],
    ]);
  });

  it('sets, reads and deletes leaves, pruning empty parents', () => {
    const obj = unflatten([['a.b.c', 1], ['a.d', 2]]);
    expect(obj).toEqual({ a: { b: { c: 1 }, d: 2 } });
    setLeaf(obj, 'a.d.e', 3);
    expect(getLeaf(obj, 'a.d')).toEqual({ e: 3 });
    expect(deleteLeaf(obj, 'a.b.c')).toBe(true);
    expect(obj).toEqual({ a: { d: { e: 3 } } });
    expect(deleteLeaf(obj, 'missing.path')).toBe(false);
  });
});
