import type { Readable } from 'node:stream';

/** What {@link BlobStore.put} stored. */
export interface PutBlobResult {
  /** sha256 hex of the bytes. */
  readonly digest: string;
  readonly size: number;
  /** False when the store already held the blob (the new bytes were dropped). */
  readonly stored: boolean;
}

/** One blob as {@link BlobStore.list} sees it. */
export interface StoredBlob {
  readonly digest: string;
  readonly size: number;
  /** When its bytes were stored, in ms since the epoch. */
  readonly storedAt: number;
}

/** Options of {@link BlobStore.downloadUrl}. */
export interface DownloadUrlOptions {
  /** How long the URL works. */
  readonly expiresInSeconds: number;
  /** The Content-Type the response carries. */
  readonly contentType?: string;
  /** The Content-Disposition the response carries. */
  readonly contentDisposition?: string;
}

/** What the writer of a blob says it is; a mismatch rejects the blob. */
export interface ExpectedBlob {
  readonly digest?: string;
  readonly size?: number;
}

/**
 * Content-addressed file storage: a blob is named by the sha256 of its bytes,
 * so the same content is stored once whoever uploads it. Implementations
 * stream: no method holds a whole blob in memory.
 *
 * @example
 * await using blobs = await LocalBlobStore.open('/data/blobs');
 * const { digest } = await blobs.put(createReadStream('model.bin'));
 * blobs.open(digest).pipe(createWriteStream('copy.bin'));
 */
export interface BlobStore {
  /** The size of a blob, or `undefined` when absent. */
  stat(digest: string): Promise<number | undefined>;
  /** The digests of `digests` that are absent, in their order. */
  missing(digests: readonly string[]): Promise<string[]>;
  /**
   * Writes a blob from a stream of chunks, hashing as it goes. Rejects with
   * `CohortError` INVALID_ARGUMENT (nothing kept) when `expected` does not
   * match, and RESOURCE_EXHAUSTED past `maxBlobBytes`.
   */
  put(source: AsyncIterable<Uint8Array>, expected?: ExpectedBlob): Promise<PutBlobResult>;
  /** A stream of a blob's bytes; throws `CohortError` NOT_FOUND when absent. */
  open(digest: string, options?: { highWaterMark?: number }): Promise<Readable>;
  /** Every stored blob, a page at a time (no order promised; uploads in flight are not listed). */
  list(): AsyncIterable<StoredBlob>;
  /** Deletes blobs (absent ones are skipped). Only blob garbage collection (blob-gc.ts) calls it. */
  delete(digests: readonly string[]): Promise<void>;
  /** Removes the leftovers of uploads that began before `before` (ms since the epoch) and never finished; returns how many. */
  dropStaleUploads(before: number): Promise<number>;
  /**
   * A short-lived URL that serves the blob's bytes without this process
   * (object storage's presigned GET), or absent when the store has none.
   * The caller checks access first: the URL itself is the permission.
   */
  downloadUrl?(digest: string, options: DownloadUrlOptions): Promise<string>;
  /** Stops; later calls fail. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
