import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord } from './codec.js';
import { emptyRows } from './records.js';

describe('record codec', () => {
  it('round-trips a rows record with non-finite numbers', () => {
    const rows = { ...emptyRows(), keys: ['loss', 'acc'], steps: [0, 1], timestamps: [1.5, 2.5], runtimes: [0.1, 0.2], numCounts: [2, 1], numKeys: [0, 1, 0], numValues: [NaN, Infinity, -1], jsonCounts: [0, 0] };
    const back = decodeRecord(encodeRecord({ seq: 7, kind: 'rows', rows }));
    expect(back.seq).toBe(7);
    expect(back.kind).toBe('rows');
    if (back.kind !== 'rows') throw new Error('kind');
    expect(back.rows.numValues).toEqual([NaN, Infinity, -1]);
    expect(back.rows.keys).toEqual(['loss', 'acc']);
    expect(back.rows.jsonValues).toEqual([]);
  });

  it('rejects bytes that hold no kind', () => {
    expect(() => decodeRecord(new Uint8Array([8, 1]))).toThrow(/holds no kind/);
  });

  it('rejects garbage with INVALID_ARGUMENT', () => {
    expect(() => decodeRecord(new Uint8Array([0xff, 0xff, 0xff]))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
