import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { BlobStore } from './blob-store.js';

/** Options of {@link collectBlobGarbage}. */
export interface BlobGcOptions {
  blobs: BlobStore;
  /** Where references and marks live (`store.artifacts`). */
  artifacts: ArtifactStore;
  /**
   * How long content must sit unreferenced and untouched before it goes:
   * a blob is marked only once it is this old, and deleted only once its
   * mark is this old. Longer than any upload-then-commit takes.
   */
  graceMs: number;
  /** Reports what would go, changes nothing. @defaultValue false */
  dryRun?: boolean;
  /** Most blobs one pass deletes (the rest go next pass). @defaultValue 100_000 */
  maxDeletes?: number;
  /** The pass's clock, in ms since the epoch. @defaultValue Date.now() */
  now?: number;
}

/** What a pass of {@link collectBlobGarbage} found and did. */
export interface BlobGcReport {
  /** Blobs listed. */
  scanned: number;
  scannedBytes: number;
  /** Blobs older than the grace period that nothing references (marked now or before). */
  unreferenced: number;
  /** Blobs deleted (with `dryRun`: that would be). */
  deleted: number;
  /** Their digests, the first 1000. */
  deletedDigests: string[];
  /** Leftovers of abandoned uploads removed. */
  staleUploads: number;
}

/** Blobs per listing page marked in one transaction; and per claim. */
const PAGE = 500;

/**
 * One pass of blob garbage collection: mark, then sweep.
 *
 * Mark: every stored blob older than the grace period that no artifact
 * version or run file (media included) references gets a mark with the
 * pass's time (an earlier mark keeps its time). Sweep: blobs whose mark is
 * older than the grace period and that nothing references at that moment
 * are claimed (mark and read grants dropped in one transaction, so two
 * passes never take one blob) and deleted from the store.
 *
 * Safe against uploads in flight: an upload is not listed until its bytes
 * are complete (a local `tmp/` part file, an S3 multipart upload); a blob
 * uploaded and not yet referenced is younger than the grace period; and an
 * upload of content already stored, or a `MissingBlobs` answer that it is
 * stored, removes its mark (`unmarkBlobs`), so the clock starts again.
 */
export async function collectBlobGarbage(o: BlobGcOptions): Promise<BlobGcReport> {
  if (!Number.isSafeInteger(o.graceMs) || o.graceMs < 0) throw new TypeError(`Expected \`graceMs\` to be an integer from 0 and up, got \`${String(o.graceMs)}\``);
  const now = o.now ?? Date.now();
  const cutoff = now - o.graceMs;
  const dryRun = o.dryRun ?? false;
  const maxDeletes = o.maxDeletes ?? 100_000;
  const report: BlobGcReport = { scanned: 0, scannedBytes: 0, unreferenced: 0, deleted: 0, deletedDigests: [], staleUploads: 0 };
  let page: string[] = [];
  const flush = async () => {
    if (page.length === 0) return;
    if (dryRun) report.unreferenced += page.length - (await o.artifacts.referencedBlobs(page)).size;
    else report.unreferenced += await o.artifacts.markBlobs(page, now / 1000);
    page = [];
  };
  for await (const blob of o.blobs.list()) {
    report.scanned++;
    report.scannedBytes += blob.size;
    if (blob.storedAt > cutoff) continue;
    page.push(blob.digest);
    if (page.length >= PAGE) await flush();
  }
  await flush();
  while (report.deleted < maxDeletes) {
    const claimed = await o.artifacts.claimBlobGarbage(cutoff / 1000, Math.min(dryRun ? 1000 : PAGE, maxDeletes - report.deleted), dryRun);
    if (claimed.length === 0) break;
    if (!dryRun) await o.blobs.delete(claimed);
    report.deleted += claimed.length;
    report.deletedDigests.push(...claimed.slice(0, 1000 - report.deletedDigests.length));
    // A dry run claims nothing, so the same rows would come back: its one read is the answer.
    if (dryRun || claimed.length < PAGE) break;
  }
  if (!dryRun) report.staleUploads = await o.blobs.dropStaleUploads(cutoff);
  return report;
}
