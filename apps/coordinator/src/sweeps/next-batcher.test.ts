import { describe, expect, it } from 'vitest';
import { KeyedBatcher } from './next-batcher.js';

describe('KeyedBatcher', () => {
  it('decides requests that arrive while a batch runs together in the next batch, each getting its own answer', async () => {
    const batches: string[][] = [];
    const batcher = new KeyedBatcher<number, string>(async (key, reqs) => {
      batches.push(reqs.map(String));
      await new Promise((r) => setTimeout(r, 5));
      return reqs.map((r) => `${key}:${r}`);
    });
    const answers = await Promise.all([...Array.from({ length: 10 }, (_, i) => batcher.submit('a', i)), batcher.submit('b', 99)]);
    expect(answers).toEqual([...Array.from({ length: 10 }, (_, i) => `a:${i}`), 'b:99']);
    // The first request of a key runs alone; the 9 that came while it ran go as one batch; another key runs beside them.
    expect(batches).toEqual([['0'], ['99'], ['1', '2', '3', '4', '5', '6', '7', '8', '9']]);
    // A key with nothing waiting starts over.
    expect(await batcher.submit('a', 10)).toBe('a:10');
  });

  it('fails every request of a batch that failed, and goes on with the next', async () => {
    let calls = 0;
    const batcher = new KeyedBatcher<number, number>(async (_, reqs) => {
      calls++;
      if (calls === 2) throw new Error('store down');
      await new Promise((r) => setTimeout(r, 5));
      return reqs;
    });
    const first = batcher.submit('k', 1);
    const failed = [batcher.submit('k', 2), batcher.submit('k', 3)];
    await expect(first).resolves.toBe(1);
    for (const f of failed) await expect(f).rejects.toThrow('store down');
    expect(await batcher.submit('k', 4)).toBe(4);
  });
});
