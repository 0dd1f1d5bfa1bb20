import type { Logger } from 'pino';
import type { Engine, GroupCheckOptions, GroupCheckReport } from '@cohort/engine';
import { resolveGroupCheckOptions } from '@cohort/engine';

/** Options of {@link startGroupChecks}. */
export interface GroupChecksOptions extends GroupCheckOptions {
  /** How often groups are checked for stragglers and stalls. @defaultValue 15000 */
  intervalMs?: number;
  logger?: Logger;
  /** Called after each check (tests, metrics). */
  onReport?: (report: GroupCheckReport) => void;
}

/** A running periodic check; `close()` stops it and waits for a check in flight. */
export interface GroupChecks {
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Runs `engine.checkGroups()` (stragglers, stalled groups) on an unref'd
 * timer, one check at a time. For embedded mode; in scaled mode run the same
 * engine call once across coordinators, beside `expireStaleRuns`.
 *
 * @example
 * await using checks = startGroupChecks(coordinator.engine, { intervalMs: 15_000 });
 */
export function startGroupChecks(engine: Engine, options: GroupChecksOptions = {}): GroupChecks {
  const { intervalMs = 15_000, logger, onReport, ...thresholds } = options;
  if (!Number.isFinite(intervalMs) || intervalMs < 10) {
    throw new TypeError(`Expected \`intervalMs\` to be a number from 10 and up, got \`${String(intervalMs)}\` (${typeof intervalMs})`);
  }
  resolveGroupCheckOptions(thresholds);
  const log = logger?.child({ component: 'group-checks' });
  let inFlight: Promise<void> | undefined;
  let closed = false;
  const tick = (): void => {
    if (inFlight || closed) return;
    inFlight = engine
      .checkGroups(thresholds)
      .then((report) => {
        if (report.stragglers.length + report.stalled.length > 0) log?.warn({ stragglers: report.stragglers, stalled: report.stalled }, 'group check flagged ranks');
        onReport?.(report);
      })
      .catch((err: unknown) => log?.warn({ err }, 'group check failed'))
      .finally(() => {
        inFlight = undefined;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      closed = true;
      clearInterval(timer);
      await inFlight;
    })();
    return closing;
  };
  return { close, [Symbol.asyncDispose]: close };
}
