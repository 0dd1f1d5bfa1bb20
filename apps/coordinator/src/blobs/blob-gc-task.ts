import type { Logger } from 'pino';
import { collectBlobGarbage, type ArtifactStore, type BlobGcReport, type BlobStore } from '@cohort/store';
import type { ScheduledTask } from '../scheduled-tasks.js';

/** The id of the blob garbage collection's task (its BullMQ job scheduler in scaled mode). */
export const BLOB_GC_SCHEDULER_ID = 'blob-gc';

/** Options of {@link blobGcTask}. */
export interface BlobGcTaskOptions {
  blobs: BlobStore;
  artifacts: ArtifactStore;
  /** How often a pass runs. */
  intervalMs: number;
  /** How long content sits unreferenced before it goes (`collectBlobGarbage`). */
  graceMs: number;
  log: Logger;
  /** Called after each pass this process ran (tests). */
  onPass?: (report: BlobGcReport) => void;
}

/**
 * One pass of blob garbage collection per interval, once across
 * coordinators in scaled mode (docs/scaling.md, "Blob garbage collection").
 */
export function blobGcTask(o: BlobGcTaskOptions): ScheduledTask {
  return {
    id: BLOB_GC_SCHEDULER_ID,
    intervalMs: o.intervalMs,
    async run() {
      const report = await collectBlobGarbage({ blobs: o.blobs, artifacts: o.artifacts, graceMs: o.graceMs });
      const { deletedDigests: _, ...counts } = report;
      if (report.deleted > 0 || report.staleUploads > 0) o.log.info(counts, 'blob garbage collected');
      else o.log.debug(counts, 'blob garbage collection pass');
      o.onPass?.(report);
    },
  };
}
