import type { Logger } from 'pino';
import type { Engine } from '@cohort/engine';
import type { CompactionReport } from '@cohort/store';
import type { ScheduledTask } from './scheduled-tasks.js';

/** The id of the history compaction's task (its BullMQ job scheduler in scaled mode). */
export const COMPACTION_SCHEDULER_ID = 'history-compaction';

/** Options of {@link historyCompactionTask}. */
export interface CompactionTaskOptions {
  engine: Engine;
  /** How often a compaction pass runs. */
  intervalMs: number;
  log: Logger;
  /** Called after each pass this process ran (metrics, tests). */
  onPass?: (report: CompactionReport) => void;
}

/**
 * One pass of `store.compactHistory()` per interval, once across
 * coordinators (scaled mode, where workers write each batch's cells as new
 * chunks and leave the merging of small ones to this task;
 * docs/scaled-mode.md).
 */
export function historyCompactionTask(o: CompactionTaskOptions): ScheduledTask {
  return {
    id: COMPACTION_SCHEDULER_ID,
    intervalMs: o.intervalMs,
    async run() {
      const report = await o.engine.store.compactHistory();
      if (report.chunksRemoved > 0) o.log.debug(report, 'history compacted');
      o.onPass?.(report);
    },
  };
}
