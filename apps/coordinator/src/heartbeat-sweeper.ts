import type { Logger } from 'pino';
import type { Engine, ExpiredRun } from '@cohort/engine';
import type { ScheduledTask } from './scheduled-tasks.js';

/** The id of the heartbeat sweeper's task (its BullMQ job scheduler in scaled mode). */
export const SWEEPER_SCHEDULER_ID = 'heartbeat-sweeper';

/** Options of {@link heartbeatSweeperTask}. */
export interface SweeperOptions {
  engine: Engine;
  /** A run whose last heartbeat is older than this becomes crashed (preempted when it was preempting). */
  heartbeatTimeoutSeconds: number;
  /** How often to sweep. */
  intervalMs: number;
  log: Logger;
  /** Called after each sweep this process ran. */
  onSweep?: (expired: ExpiredRun[]) => void;
}

/**
 * The heartbeat sweeper as a housekeeping task: `engine.expireStaleRuns`
 * (running → crashed, preempting → preempted). Run by `startLocalTasks`
 * (embedded) or `startSharedTasks` (scaled: once across coordinators).
 */
export function heartbeatSweeperTask(o: SweeperOptions): ScheduledTask {
  return {
    id: SWEEPER_SCHEDULER_ID,
    intervalMs: o.intervalMs,
    async run() {
      const expired = await o.engine.expireStaleRuns(o.heartbeatTimeoutSeconds);
      if (expired.length > 0) {
        o.log.info({ runs: expired.map((r) => `${r.entity}/${r.project}/${r.runId}=${r.state}`) }, 'runs without heartbeat marked crashed or preempted');
      }
      o.onSweep?.(expired);
    },
  };
}
