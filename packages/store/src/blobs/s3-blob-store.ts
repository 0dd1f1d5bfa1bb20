import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { CohortError, checkDigest } from '@cohort/protocol';
import { checkExpectedBlob, missingByStat } from './blob-store-common.js';
import type { BlobStore, DownloadUrlOptions, ExpectedBlob, PutBlobResult, StoredBlob } from './blob-store.js';
import { parseS3Url } from './s3-url.js';

/** Where the S3 store connects; each field falls back to the AWS SDK's usual settings. */
export interface S3ConnectionOptions {
  /** `https://s3.example.com`, for MinIO, Ceph, R2, GCS's S3 API. @defaultValue AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS */
  endpoint?: string;
  /** @defaultValue AWS_REGION, AWS_DEFAULT_REGION, else `us-east-1` */
  region?: string;
  /** Path-style addressing (`endpoint/bucket/key`), which most non-AWS servers need. @defaultValue true with an endpoint, else false */
  forcePathStyle?: boolean;
  /** @defaultValue the SDK's chain: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, instance roles */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** Options of {@link S3BlobStore.open}. */
export interface S3BlobStoreOptions extends S3ConnectionOptions {
  /** Largest blob accepted, in bytes. @defaultValue 1 TiB */
  maxBlobBytes?: number;
  /** Most concurrent HEADs in one {@link S3BlobStore.missing} call. @defaultValue 32 */
  statConcurrency?: number;
  /** Bytes per multipart part; a blob up to this size is one PUT. At least 5 MiB. @defaultValue 8 MiB */
  partSize?: number;
  /** Parts of one upload in flight at once (each holds `partSize` bytes). @defaultValue 2 */
  partConcurrency?: number;
  /** The process environment the defaults read. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
}

const MiB = 1024 * 1024;

/**
 * A {@link BlobStore} in an S3 bucket (AWS S3, GCS's S3 API, MinIO, Ceph,
 * R2): blob `<digest>` is the object `<prefix><digest>`. An upload streams
 * through a sha256 as it goes to S3 in parts (`@aws-sdk/lib-storage`), so
 * memory stays at `partSize × partConcurrency`; the object appears only
 * when the last part is in and the bytes hash to the digest the writer
 * named (a mismatch aborts the multipart upload, so no wrong bytes ever sit
 * under a digest). Content already stored is not sent again: the bytes are
 * hashed and dropped. Without a named digest, the bytes go to
 * `<prefix>tmp/<uuid>` first and are copied into place once hashed.
 *
 * Imported from `@cohort/store/s3`, so only a server that uses S3 loads the
 * AWS SDK.
 *
 * @example
 * await using blobs = await S3BlobStore.open('s3://team-bucket/cohort/', { endpoint: 'http://minio:9000' });
 */
export class S3BlobStore implements BlobStore {
  readonly bucket: string;
  readonly prefix: string;
  readonly #client: S3Client;
  readonly #maxBlobBytes: number;
  readonly #statConcurrency: number;
  readonly #partSize: number;
  readonly #partConcurrency: number;
  #closed = false;

  private constructor(bucket: string, prefix: string, client: S3Client, options: S3BlobStoreOptions) {
    this.bucket = bucket;
    this.prefix = prefix;
    this.#client = client;
    this.#maxBlobBytes = options.maxBlobBytes ?? 2 ** 40;
    this.#statConcurrency = options.statConcurrency ?? 32;
    this.#partSize = options.partSize ?? 8 * MiB;
    this.#partConcurrency = options.partConcurrency ?? 2;
    if (!Number.isInteger(this.#partSize) || this.#partSize < 5 * MiB) throw new TypeError(`Expected \`partSize\` to be an integer of at least 5 MiB (S3's smallest part), got ${String(options.partSize)}`);
  }

  /**
   * A store over `s3://bucket/prefix`; checks that the bucket answers (a
   * wrong endpoint, bucket or key fails here, not at the first upload).
   */
  static async open(url: string, options: S3BlobStoreOptions = {}): Promise<S3BlobStore> {
    const { bucket, prefix } = parseS3Url(url);
    const store = new S3BlobStore(bucket, prefix, new S3Client(s3ClientConfig(options)), options);
    try {
      // A listing that is empty or short (the temporary objects' prefix): it proves the endpoint, bucket and key.
      await store.#client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}tmp/`, MaxKeys: 1 }));
    } catch (err) {
      store.#client.destroy();
      throw new CohortError('UNAVAILABLE', `blob store ${url}: the bucket does not answer (${describe(err)})`);
    }
    return store;
  }

  #key(digest: string): string {
    return this.prefix + checkDigest(digest);
  }

  async stat(digest: string): Promise<number | undefined> {
    this.#check();
    const key = this.#key(digest);
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw unavailable(`stat ${digest}`, err);
    }
  }

  async missing(digests: readonly string[]): Promise<string[]> {
    this.#check();
    for (const d of digests) checkDigest(d);
    return missingByStat(digests, this.#statConcurrency, (d) => this.stat(d));
  }

  async put(source: AsyncIterable<Uint8Array>, expected: ExpectedBlob = {}): Promise<PutBlobResult> {
    this.#check();
    checkExpectedBlob(expected, this.#maxBlobBytes);
    const checked = checkedBytes(source, expected, this.#maxBlobBytes);
    if (expected.digest !== undefined && (await this.stat(expected.digest)) !== undefined) {
      // Stored already: hash what arrives (the writer's claim is still checked) and keep none of it.
      for await (const _ of checked.chunks) void _;
      return { digest: expected.digest, size: checked.size(), stored: false };
    }
    const key = expected.digest !== undefined ? this.#key(expected.digest) : `${this.prefix}tmp/${randomUUID()}`;
    await this.#upload(key, checked);
    if (expected.digest !== undefined) return { digest: expected.digest, size: checked.size(), stored: true };
    // No digest named: the bytes went to a temporary object; copy it into place (or drop it when the content is there).
    const digest = checked.digest();
    try {
      if ((await this.stat(digest)) !== undefined) return { digest, size: checked.size(), stored: false };
      await this.#client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: this.#key(digest), CopySource: `${this.bucket}/${encodeURI(key)}` }));
      return { digest, size: checked.size(), stored: true };
    } finally {
      await this.#client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: [{ Key: key }], Quiet: true } })).catch(() => undefined);
    }
  }

  async #upload(key: string, checked: CheckedBytes): Promise<void> {
    const upload = new Upload({
      client: this.#client,
      params: { Bucket: this.bucket, Key: key, Body: Readable.from(checked.chunks, { objectMode: false }), ContentType: 'application/octet-stream' },
      partSize: this.#partSize,
      queueSize: this.#partConcurrency,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      // The bytes' own failure (a mismatch, too large) wins over what the abort of the parts then met.
      throw checked.failure() ?? (err instanceof CohortError ? err : unavailable('upload', err));
    }
  }

  async open(digest: string, options: { highWaterMark?: number } = {}): Promise<Readable> {
    this.#check();
    const key = this.#key(digest);
    try {
      const got = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const body = got.Body as Readable;
      if (options.highWaterMark === undefined) return body;
      // Re-chunk to the caller's size (gRPC downloads send one message per chunk).
      return Readable.from(rechunk(body, options.highWaterMark), { objectMode: false, highWaterMark: options.highWaterMark });
    } catch (err) {
      if (isNotFound(err)) throw new CohortError('NOT_FOUND', `blob ${digest}: not stored`);
      throw unavailable(`read ${digest}`, err);
    }
  }

  async downloadUrl(digest: string, options: DownloadUrlOptions): Promise<string> {
    this.#check();
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.#key(digest),
      ...(options.contentType !== undefined && { ResponseContentType: options.contentType }),
      ...(options.contentDisposition !== undefined && { ResponseContentDisposition: options.contentDisposition }),
    });
    return getSignedUrl(this.#client, command, { expiresIn: options.expiresInSeconds });
  }

  async *list(): AsyncIterable<StoredBlob> {
    this.#check();
    let token: string | undefined;
    do {
      const page = await this.#client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ContinuationToken: token, MaxKeys: 1000 }));
      for (const o of page.Contents ?? []) {
        const digest = o.Key?.slice(this.prefix.length) ?? '';
        if (!DIGEST.test(digest)) continue;
        yield { digest, size: o.Size ?? 0, storedAt: o.LastModified?.getTime() ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async delete(digests: readonly string[]): Promise<void> {
    this.#check();
    const keys = digests.map((d) => ({ Key: this.#key(d) }));
    for (let i = 0; i < keys.length; i += 1000) {
      const out = await this.#client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.slice(i, i + 1000), Quiet: true } }));
      const failed = (out.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length > 0) throw new CohortError('UNAVAILABLE', `blob store: ${failed.length} deletes failed (first: ${failed[0]!.Key} ${failed[0]!.Code ?? ''} ${failed[0]!.Message ?? ''})`);
    }
  }

  async dropStaleUploads(before: number): Promise<number> {
    this.#check();
    let dropped = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      let page;
      try {
        page = await this.#client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: this.prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
      } catch (err) {
        // A server without the call (s3rver, some gateways): leave abandoned parts to the bucket's lifecycle rule.
        if (isUnsupported(err)) break;
        throw unavailable('list multipart uploads', err);
      }
      for (const u of page.Uploads ?? []) {
        if (u.Key === undefined || u.UploadId === undefined || (u.Initiated?.getTime() ?? 0) >= before) continue;
        await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.Key, UploadId: u.UploadId }));
        dropped++;
      }
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
    // Temporary objects of digest-less uploads whose process died before it removed them.
    const stale: Array<{ Key: string }> = [];
    let token: string | undefined;
    do {
      const page = await this.#client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${this.prefix}tmp/`, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key !== undefined && (o.LastModified?.getTime() ?? 0) < before) stale.push({ Key: o.Key });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    for (let i = 0; i < stale.length; i += 1000) {
      await this.#client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: stale.slice(i, i + 1000), Quiet: true } }));
    }
    return dropped + stale.length;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.destroy();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #check(): void {
    if (this.#closed) throw new CohortError('FAILED_PRECONDITION', 'the blob store is closed');
  }
}

const DIGEST = /^[0-9a-f]{64}$/;

/** The S3 client's configuration from the options, then the environment (the AWS SDK's usual variables). */
export function s3ClientConfig(options: S3ConnectionOptions & { env?: NodeJS.ProcessEnv }): S3ClientConfig {
  const env = options.env ?? process.env;
  const endpoint = options.endpoint ?? (env['AWS_ENDPOINT_URL_S3'] || env['AWS_ENDPOINT_URL'] || undefined);
  if (endpoint !== undefined && !/^https?:\/\/[^/]+/.test(endpoint)) throw new CohortError('INVALID_ARGUMENT', `S3 endpoint: expected an http:// or https:// URL, got ${JSON.stringify(endpoint)}`);
  return {
    region: options.region ?? (env['AWS_REGION'] || env['AWS_DEFAULT_REGION'] || 'us-east-1'),
    ...(endpoint !== undefined && { endpoint }),
    forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
    ...(options.credentials !== undefined && { credentials: options.credentials }),
    // Servers other than AWS (older MinIO, Ceph, R2, s3rver) refuse the SDK's default CRC trailers: send checksums only where S3 requires one.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
  };
}

/**
 * The chunks of `source`, hashed and counted as they pass; the end throws
 * (so an upload aborts) when they do not match what the writer said.
 */
interface CheckedBytes {
  readonly chunks: AsyncIterable<Uint8Array>;
  size(): number;
  digest(): string;
  /** Why the source failed, if it did (its own error, or the check's). */
  failure(): unknown;
}

function checkedBytes(source: AsyncIterable<Uint8Array>, expected: ExpectedBlob, maxBlobBytes: number): CheckedBytes {
  const hash = createHash('sha256');
  let size = 0;
  let digest: string | undefined;
  let failure: unknown;
  async function* checked(): AsyncGenerator<Uint8Array> {
    try {
      yield* chunks();
    } catch (err) {
      failure = err;
      throw err;
    }
  }
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      size += chunk.byteLength;
      if (size > maxBlobBytes) throw new CohortError('RESOURCE_EXHAUSTED', `blob size: at most ${maxBlobBytes} bytes, the upload went past it`);
      if (expected.size !== undefined && size > expected.size) throw new CohortError('INVALID_ARGUMENT', `blob size: the header said ${expected.size} bytes, more came`);
      hash.update(chunk);
      yield chunk;
    }
    digest = hash.digest('hex');
    if (expected.size !== undefined && size !== expected.size) throw new CohortError('INVALID_ARGUMENT', `blob size: the header said ${expected.size} bytes, got ${size}`);
    if (expected.digest !== undefined && digest !== expected.digest) {
      throw new CohortError('INVALID_ARGUMENT', `blob digest: the header said ${expected.digest}, the bytes hash to ${digest}`);
    }
  }
  return { chunks: checked(), size: () => size, digest: () => digest!, failure: () => failure };
}

/** The bytes of `source` in chunks of at most `size` bytes. */
async function* rechunk(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    for (let i = 0; i < chunk.byteLength; i += size) yield chunk.subarray(i, i + size);
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

function isUnsupported(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotImplemented' || e?.name === 'MethodNotAllowed' || e?.$metadata?.httpStatusCode === 405 || e?.$metadata?.httpStatusCode === 501;
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return [e?.name, e?.$metadata?.httpStatusCode, e?.message].filter((x) => x !== undefined && x !== '').join(' ');
}

function unavailable(what: string, err: unknown): CohortError {
  // The SDK's error, not as `cause`: it carries the whole HTTP response, which logs would print.
  return new CohortError('UNAVAILABLE', `blob store: ${what} failed (${describe(err)})`);
}
