import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalBlobStore } from './local-blob-store.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function* chunks(...parts: Buffer[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield p;
}

async function withStore(fn: (store: LocalBlobStore, root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'cohort-blobs-test-'));
  try {
    await using store = await LocalBlobStore.open(root);
    await fn(store, root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

describe('LocalBlobStore', () => {
  it('stores a blob under its sha256 once, and reads it back', async () => {
    await withStore(async (store) => {
      const data = Buffer.from('hello blobs');
      const d = sha(data);
      expect(await store.missing([d])).toEqual([d]);
      expect(await store.put(chunks(data.subarray(0, 5), data.subarray(5)), { digest: d, size: data.length })).toEqual({ digest: d, size: data.length, stored: true });
      expect(await store.put(chunks(data))).toEqual({ digest: d, size: data.length, stored: false });
      expect(await store.missing([d])).toEqual([]);
      expect(await store.stat(d)).toBe(data.length);
      const read: Buffer[] = [];
      for await (const c of await store.open(d)) read.push(c as Buffer);
      expect(Buffer.concat(read).toString()).toBe('hello blobs');
    });
  });

  it('refuses bytes that do not match the header and keeps nothing', async () => {
    await withStore(async (store, root) => {
      const data = Buffer.from('abc');
      await store.put(chunks(Buffer.from('first')));
      await expect(store.put(chunks(data), { digest: 'f'.repeat(64) })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(store.put(chunks(data), { size: 2 })).rejects.toThrow(/said 2 bytes/);
      await expect(store.put(chunks(data), { size: 4 })).rejects.toThrow(/said 4 bytes, got 3/);
      expect(await readdir(join(root, 'tmp'))).toEqual([]);
      expect(await store.missing([sha(data)])).toEqual([sha(data)]);
    });
  });

  it('refuses a digest that is not 64 hex characters, so no name leaves the folder', async () => {
    await withStore(async (store) => {
      await expect(store.stat('../../etc/passwd')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(store.open('A'.repeat(64))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(store.open('a'.repeat(64))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });
});
