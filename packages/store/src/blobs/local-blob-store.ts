import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { CohortError, checkDigest } from '@cohort/protocol';
import { checkExpectedBlob, missingByStat } from './blob-store-common.js';
import type { BlobStore, ExpectedBlob, PutBlobResult, StoredBlob } from './blob-store.js';

/** Options of {@link LocalBlobStore.open}. */
export interface LocalBlobStoreOptions {
  /** Largest blob accepted, in bytes. @defaultValue 1 TiB */
  maxBlobBytes?: number;
  /** Most concurrent stats in one {@link LocalBlobStore.missing} call. @defaultValue 32 */
  statConcurrency?: number;
}

/**
 * A {@link BlobStore} in a folder: `<root>/<aa>/<bb>/<digest>`. Embedded mode
 * points it at `<dataDir>/blobs`; scaled mode at a folder every coordinator
 * mounts (NFS, a shared volume). A blob is written to `<root>/tmp/` while it
 * is hashed, then renamed into place, so a reader never sees half a blob and
 * two writers of the same content both succeed (the rename is atomic on one
 * file system and the content is the same).
 */
export class LocalBlobStore implements BlobStore {
  readonly root: string;
  readonly #maxBlobBytes: number;
  readonly #statConcurrency: number;
  #closed = false;
  #ready = false;

  private constructor(root: string, options: LocalBlobStoreOptions) {
    this.root = root;
    this.#maxBlobBytes = options.maxBlobBytes ?? 2 ** 40;
    this.#statConcurrency = options.statConcurrency ?? 32;
  }

  /** Opens the folder; it is created with the first blob, so a coordinator that stores none leaves no trace. */
  static async open(root: string, options: LocalBlobStoreOptions = {}): Promise<LocalBlobStore> {
    return new LocalBlobStore(root, options);
  }

  /** The file of a blob (whether or not it exists). */
  pathOf(digest: string): string {
    checkDigest(digest);
    return join(this.root, digest.slice(0, 2), digest.slice(2, 4), digest);
  }

  async stat(digest: string): Promise<number | undefined> {
    this.#check();
    try {
      return (await stat(this.pathOf(digest))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async missing(digests: readonly string[]): Promise<string[]> {
    this.#check();
    return missingByStat(digests, this.#statConcurrency, (d) => this.stat(d));
  }

  async put(source: AsyncIterable<Uint8Array>, expected: ExpectedBlob = {}): Promise<PutBlobResult> {
    this.#check();
    checkExpectedBlob(expected, this.#maxBlobBytes);
    if (!this.#ready) {
      await mkdir(join(this.root, 'tmp'), { recursive: true });
      this.#ready = true;
    }
    const tmp = join(this.root, 'tmp', `${randomUUID()}.part`);
    const hash = createHash('sha256');
    let size = 0;
    const file = await open(tmp, 'w');
    let kept = false;
    // One write in flight while the next chunk arrives: the disk and the network overlap, memory stays at two chunks.
    let writing: Promise<unknown> = Promise.resolve();
    try {
      for await (const chunk of source) {
        size += chunk.byteLength;
        if (size > this.#maxBlobBytes) throw new CohortError('RESOURCE_EXHAUSTED', `blob size: at most ${this.#maxBlobBytes} bytes, the upload went past it`);
        if (expected.size !== undefined && size > expected.size) {
          throw new CohortError('INVALID_ARGUMENT', `blob size: the header said ${expected.size} bytes, more came`);
        }
        hash.update(chunk);
        await writing;
        writing = file.write(chunk);
      }
      await writing;
      await file.sync();
      await file.close();
      const digest = hash.digest('hex');
      if (expected.size !== undefined && size !== expected.size) {
        throw new CohortError('INVALID_ARGUMENT', `blob size: the header said ${expected.size} bytes, got ${size}`);
      }
      if (expected.digest !== undefined && digest !== expected.digest) {
        throw new CohortError('INVALID_ARGUMENT', `blob digest: the header said ${expected.digest}, the bytes hash to ${digest}`);
      }
      const target = this.pathOf(digest);
      if ((await this.stat(digest)) !== undefined) return { digest, size, stored: false };
      await mkdir(join(target, '..'), { recursive: true });
      await rename(tmp, target);
      kept = true;
      return { digest, size, stored: true };
    } finally {
      await writing.catch(() => undefined);
      await file.close().catch(() => undefined);
      if (!kept) await rm(tmp, { force: true }).catch(() => undefined);
    }
  }

  async open(digest: string, options: { highWaterMark?: number } = {}): Promise<Readable> {
    this.#check();
    const path = this.pathOf(digest);
    if ((await this.stat(digest)) === undefined) throw new CohortError('NOT_FOUND', `blob ${digest}: not stored`);
    return createReadStream(path, { highWaterMark: options.highWaterMark ?? 256 * 1024 });
  }

  async *list(): AsyncIterable<StoredBlob> {
    this.#check();
    for (const a of await names(this.root)) {
      if (!HEX2.test(a)) continue;
      for (const b of await names(join(this.root, a))) {
        if (!HEX2.test(b)) continue;
        for (const digest of await names(join(this.root, a, b))) {
          if (!DIGEST.test(digest) || !digest.startsWith(a + b)) continue;
          try {
            const st = await stat(join(this.root, a, b, digest));
            yield { digest, size: st.size, storedAt: st.mtimeMs };
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          }
        }
      }
    }
  }

  async delete(digests: readonly string[]): Promise<void> {
    this.#check();
    for (const d of digests) await rm(this.pathOf(d), { force: true });
  }

  async dropStaleUploads(before: number): Promise<number> {
    this.#check();
    let dropped = 0;
    for (const name of await names(join(this.root, 'tmp'))) {
      if (!name.endsWith('.part')) continue;
      const path = join(this.root, 'tmp', name);
      try {
        if ((await stat(path)).mtimeMs >= before) continue;
      } catch {
        continue;
      }
      await rm(path, { force: true });
      dropped++;
    }
    return dropped;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #check(): void {
    if (this.#closed) throw new CohortError('FAILED_PRECONDITION', 'the blob store is closed');
  }
}

const HEX2 = /^[0-9a-f]{2}$/;
const DIGEST = /^[0-9a-f]{64}$/;

/** The names in a folder; none when it does not exist (yet). */
async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
