import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { CohortError, DEFAULT_LIMITS, checkDigest, invalidArgument } from '@cohort/protocol';
import type { BlobStore } from '@cohort/store';
import type { BlobsHandlers } from '../generated/cohort/v1/Blobs.js';
import type { BlobChunk__Output } from '../generated/cohort/v1/BlobChunk.js';
import { toGrpcStatus, toPublicError } from '../grpc-status.js';
import type { Access } from '../auth/access.js';

/** Bytes per download chunk (and the most an upload chunk may carry). */
export const BLOB_CHUNK_BYTES = 1024 * 1024;
/** Most digests one `MissingBlobs` call may ask about. */
export const MAX_DIGESTS_PER_CALL = 10_000;

/** What the blob handlers need. */
export interface BlobHandlersDeps {
  blobs: BlobStore;
  /**
   * Blob garbage collection's marks (`store.artifacts`): content uploaded,
   * or answered as stored, is in use again and loses its mark, so a pass
   * does not delete it while the caller commits what references it.
   */
  marks: { unmarkBlobs(digests: readonly string[]): Promise<void> };
  log: Logger;
  /**
   * Who calls, and which blobs they may read: a blob counts as missing (and
   * cannot be downloaded) unless one of the caller's entities uploaded it or
   * references it, so dedup never tells one team what another stored.
   */
  access: Access;
  /** Most uploads at once; more are answered RESOURCE_EXHAUSTED. @defaultValue 64 */
  maxConcurrentUploads?: number;
  /** Largest upload, in bytes (`Limits.maxFileBytes`). @defaultValue `DEFAULT_LIMITS.maxFileBytes` */
  maxFileBytes?: number;
}

/**
 * The `cohort.v1.Blobs` handlers. Uploads stream into the blob store chunk by
 * chunk: the call is read as an async iterator, which pauses the HTTP/2
 * stream while the store writes, so a 2 GiB upload holds about one chunk in
 * memory. Downloads write a chunk and wait for `drain` before reading the next.
 */
export function createBlobHandlers(deps: BlobHandlersDeps): BlobsHandlers {
  const { blobs, log } = deps;
  const maxUploads = deps.maxConcurrentUploads ?? 64;
  const maxFileBytes = deps.maxFileBytes ?? DEFAULT_LIMITS.maxFileBytes;
  const tooLarge = (what: string) => new CohortError('RESOURCE_EXHAUSTED', `UploadBlob: ${what}; at most ${maxFileBytes} bytes are allowed per file (maxFileBytes)`);
  let uploads = 0;
  const fail = (err: unknown, what: string) => {
    const error = toPublicError(err);
    if (error.unexpected) log.error({ err }, `${what} failed`);
    else log.debug({ code: error.code, reason: error.message }, `${what} rejected`);
    return toGrpcStatus(error);
  };
  return {
    MissingBlobs(call, callback) {
      void (async () => {
        const digests = call.request.digests;
        if (digests.length > MAX_DIGESTS_PER_CALL) throw invalidArgument(`Expected at most ${MAX_DIGESTS_PER_CALL} digests per call, got ${digests.length}`);
        digests.forEach((d, i) => checkDigest(d, `digests[${i}]`));
        const principal = await deps.access.grpc(call.metadata, call.getPeer());
        const [missing, readable] = await Promise.all([blobs.missing(digests), deps.access.readableBlobs(principal, digests)]);
        const absent = new Set(missing);
        const answer = digests.filter((d) => absent.has(d) || !readable.has(d));
        const stored = new Set(answer);
        await deps.marks.unmarkBlobs(digests.filter((d) => !stored.has(d)));
        callback(null, { missing: answer, maxFileBytes });
      })().catch((err: unknown) => callback(fail(err, 'MissingBlobs')));
    },

    UploadBlob(call, callback) {
      if (uploads >= maxUploads) {
        callback(fail(new CohortError('RESOURCE_EXHAUSTED', `the coordinator takes at most ${maxUploads} uploads at once; retry later`), 'UploadBlob'));
        return;
      }
      uploads++;
      void (async () => {
        const principal = await deps.access.grpc(call.metadata, call.getPeer());
        const iterator = (call as AsyncIterable<BlobChunk__Output>)[Symbol.asyncIterator]();
        const first = await iterator.next();
        if (first.done || first.value.kind !== 'header' || !first.value.header) {
          throw invalidArgument('UploadBlob: expected a header (digest, size) as the first message');
        }
        const header = first.value.header;
        const digest = checkDigest(header.digest, 'header.digest');
        const size = Number(header.size);
        if (size > maxFileBytes) throw tooLarge(`header.size is ${header.size} bytes`);
        // The header may understate: count what arrives and stop reading past the limit (the store drops the partial file).
        let received = 0;
        async function* chunks(): AsyncGenerator<Uint8Array> {
          for (;;) {
            const next = await iterator.next();
            if (next.done) return;
            const data = next.value.data;
            if (next.value.kind !== 'data' || !data) throw invalidArgument('UploadBlob: expected only data chunks after the header');
            if (data.byteLength > BLOB_CHUNK_BYTES) throw invalidArgument(`UploadBlob: a chunk is at most ${BLOB_CHUNK_BYTES} bytes, got ${data.byteLength}`);
            received += data.byteLength;
            if (received > maxFileBytes) throw tooLarge(`more than ${maxFileBytes} bytes arrived`);
            yield data;
          }
        }
        const known = (await deps.access.readableBlobs(principal, [digest])).has(digest);
        const result = await blobs.put(chunks(), { digest, size });
        await Promise.all([deps.access.grantBlobs(principal, [digest]), deps.marks.unmarkBlobs([digest])]);
        // `stored: false` would tell the caller that someone else had this content: it says so only for the caller's own blobs.
        callback(null, { digest: result.digest, size: result.size, stored: result.stored || !known });
      })()
        .catch((err: unknown) => callback(fail(err, 'UploadBlob')))
        .finally(() => uploads--);
    },

    DownloadBlob(call) {
      void (async () => {
        const digest = checkDigest(call.request.digest, 'digest');
        const principal = await deps.access.grpc(call.metadata, call.getPeer());
        const readable = (await deps.access.readableBlobs(principal, [digest])).has(digest);
        const size = readable ? await blobs.stat(digest) : undefined;
        if (size === undefined) throw new CohortError('NOT_FOUND', `blob ${digest}: not stored`);
        const stream = await blobs.open(digest, { highWaterMark: BLOB_CHUNK_BYTES });
        let cancelled = false;
        let wake: (() => void) | undefined;
        call.once('cancelled', () => {
          cancelled = true;
          stream.destroy();
          wake?.();
        });
        const drained = () =>
          new Promise<void>((resolve) => {
            const done = () => {
              call.off('drain', done);
              wake = undefined;
              resolve();
            };
            wake = done;
            call.once('drain', done);
          });
        try {
          call.write({ header: { digest, size } });
          for await (const chunk of stream) {
            if (cancelled) return;
            if (!call.write({ data: chunk as Buffer })) await drained();
          }
        } finally {
          stream.destroy();
        }
        if (!cancelled) call.end();
      })().catch((err: unknown) => {
        const status = fail(err, 'DownloadBlob');
        call.emit('error', { ...status, metadata: new grpc.Metadata() });
      });
    },
  };
}
