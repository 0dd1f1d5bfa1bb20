import { Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { CohortError, HOUSEKEEPING_QUEUE } from '@cohort/protocol';
import type { Engine, ExpiredRun } from '@cohort/engine';

/** The id of the heartbeat sweeper's BullMQ job scheduler. */
export const SWEEPER_SCHEDULER_ID = 'heartbeat-sweeper';

/** How often each coordinator upserts the sweeper's schedule again. */
const REASSERT_MS = 60_000;

/** Options of the sweepers. */
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

/** A running sweeper. */
export interface Sweeper {
  /** Sweeps this process ran. */
  readonly sweeps: number;
  /** Stops; a sweep in progress finishes first. Memoized. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

async function sweepOnce(o: SweeperOptions, timeoutSeconds: number): Promise<ExpiredRun[]> {
  const expired = await o.engine.expireStaleRuns(timeoutSeconds);
  if (expired.length > 0) {
    o.log.info({ runs: expired.map((r) => `${r.entity}/${r.project}/${r.runId}=${r.state}`) }, 'runs without heartbeat marked crashed or preempted');
  }
  o.onSweep?.(expired);
  return expired;
}

/**
 * The embedded mode's heartbeat sweeper: an unref'd interval in this process
 * (there is only one coordinator per store).
 */
export function startLocalSweeper(o: SweeperOptions): Sweeper {
  let sweeps = 0;
  let inFlight: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = sweepOnce(o, o.heartbeatTimeoutSeconds)
      .then(() => sweeps++)
      .catch((err: unknown) => o.log.warn({ err }, 'heartbeat sweep failed'))
      .finally(() => (inFlight = undefined));
  }, o.intervalMs);
  timer.unref();
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      clearInterval(timer);
      await inFlight;
    })());
  return {
    get sweeps() {
      return sweeps;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * The scaled mode's heartbeat sweeper, run once across all coordinators: a
 * BullMQ job scheduler (upserted by every coordinator under one id, so there
 * is one schedule) whose jobs go to the housekeeping queue, where each
 * coordinator runs a worker of concurrency 1. BullMQ hands each scheduled job
 * to exactly one of them.
 */
export async function startSharedSweeper(o: SweeperOptions & { redisUrl: string; prefix: string }): Promise<Sweeper> {
  let sweeps = 0;
  const queue = new Queue(HOUSEKEEPING_QUEUE, { prefix: o.prefix, connection: { url: o.redisUrl, maxRetriesPerRequest: 1, enableOfflineQueue: false } });
  queue.on('error', (err) => o.log.warn({ err }, 'housekeeping queue connection error'));
  const worker = new Worker(
    HOUSEKEEPING_QUEUE,
    async (job) => {
      const timeout = (job.data as { timeoutSeconds?: unknown }).timeoutSeconds;
      const seconds = typeof timeout === 'number' && timeout > 0 ? timeout : o.heartbeatTimeoutSeconds;
      const expired = await sweepOnce(o, seconds);
      sweeps++;
      return { expired: expired.length };
    },
    {
      prefix: o.prefix,
      connection: { url: o.redisUrl, maxRetriesPerRequest: null },
      concurrency: 1,
      autorun: false,
      removeOnComplete: { count: 100 },
      removeOnFail: { count: 100 },
    },
  );
  worker.on('error', (err) => o.log.warn({ err }, 'housekeeping worker error'));
  worker.on('failed', (job, err) => o.log.warn({ err, jobId: job?.id }, 'heartbeat sweep failed'));
  const schedule = () =>
    queue.upsertJobScheduler(
      SWEEPER_SCHEDULER_ID,
      { every: o.intervalMs },
      { name: 'sweep', data: { timeoutSeconds: o.heartbeatTimeoutSeconds }, opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } },
    );
  // Upserted again now and then: a Redis that restarted without its data gets the schedule back.
  const reassert = setInterval(() => {
    schedule().catch((err: unknown) => o.log.debug({ err }, 'cannot upsert the sweeper schedule'));
  }, REASSERT_MS);
  reassert.unref();
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      clearInterval(reassert);
      const results = await Promise.allSettled([worker.close(), queue.close()]);
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed.length > 0) throw new AggregateError(failed.map((f) => f.reason), 'heartbeat sweeper: close failed');
    })());
  try {
    await queue.waitUntilReady();
    await schedule();
    void worker.run().catch((err: unknown) => o.log.error({ err }, 'housekeeping worker stopped'));
    await worker.waitUntilReady();
  } catch (err) {
    await close().catch(() => undefined);
    throw err instanceof CohortError ? err : new CohortError('UNAVAILABLE', `cannot schedule the heartbeat sweeper in Redis: ${(err as Error).message}`, { cause: err });
  }
  return {
    get sweeps() {
      return sweeps;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
