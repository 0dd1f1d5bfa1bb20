import type { Logger } from 'pino';
import { resolveGroupCheckOptions, type Engine, type GroupCheckOptions, type GroupCheckReport } from '@cohort/engine';
import type { ScheduledTask } from './scheduled-tasks.js';

/** The id of the group checks' task (its BullMQ job scheduler in scaled mode). */
export const GROUP_CHECKS_SCHEDULER_ID = 'group-checks';

/** Options of {@link groupChecksTask}. */
export interface GroupChecksTaskOptions {
  engine: Engine;
  /** How often groups are checked for stragglers and stalls. */
  intervalMs: number;
  /** Straggler and stall thresholds (the engine's defaults when absent). */
  thresholds?: GroupCheckOptions;
  log: Logger;
  /** Called after each check this process ran (tests, metrics). */
  onReport?: (report: GroupCheckReport) => void;
}

/**
 * `engine.checkGroups()` (stragglers, stalled groups; each raises an alert
 * through the run's alert path) as a housekeeping task, run beside the
 * heartbeat sweeper by `startLocalTasks` (embedded) or `startSharedTasks`
 * (scaled: once across coordinators).
 */
export function groupChecksTask(o: GroupChecksTaskOptions): ScheduledTask {
  const thresholds = o.thresholds ?? {};
  resolveGroupCheckOptions(thresholds);
  return {
    id: GROUP_CHECKS_SCHEDULER_ID,
    intervalMs: o.intervalMs,
    async run() {
      const report = await o.engine.checkGroups(thresholds);
      if (report.stragglers.length + report.stalled.length > 0) {
        o.log.warn({ stragglers: report.stragglers, stalled: report.stalled }, 'group check flagged ranks');
      }
      o.onReport?.(report);
    },
  };
}
