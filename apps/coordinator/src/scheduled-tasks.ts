import { Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { queueConnection, queuePrefixFor } from '@cohort/ops';
import { CohortError, HOUSEKEEPING_QUEUE } from '@cohort/protocol';

/** A periodic housekeeping task (the heartbeat sweeper, group checks...). */
export interface ScheduledTask {
  /** Its id: the BullMQ job scheduler id and job name in scaled mode. Letters, digits and dashes. */
  id: string;
  /** How often it runs. */
  intervalMs: number;
  /** One run. A failure is logged; the next interval runs it again. */
  run(): Promise<void>;
}

/** Periodic tasks that are running. */
export interface ScheduledTasks {
  /** How many times this process ran the task `id`. */
  runs(id: string): number;
  /** Stops; runs in progress finish first. Each step runs even if an earlier one failed. Memoized. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** How often each coordinator upserts the job schedulers again (a Redis that lost them gets them back). */
const REASSERT_MS = 60_000;

function checkTasks(tasks: readonly ScheduledTask[]): void {
  const seen = new Set<string>();
  for (const t of tasks) {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(t.id)) throw new TypeError(`Expected a task id of lower-case letters, digits and dashes, got \`${t.id}\``);
    if (seen.has(t.id)) throw new TypeError(`Expected task ids to differ, got \`${t.id}\` twice`);
    seen.add(t.id);
    if (!Number.isInteger(t.intervalMs) || t.intervalMs < 10) throw new TypeError(`Expected \`${t.id}\`'s intervalMs to be an integer from 10 and up, got \`${String(t.intervalMs)}\``);
  }
}

/**
 * Embedded mode: each task on an unref'd timer in this process, one run of a
 * task at a time.
 */
export function startLocalTasks(tasks: readonly ScheduledTask[], log: Logger): ScheduledTasks {
  checkTasks(tasks);
  const counts = new Map<string, number>();
  const inFlight = new Set<Promise<unknown>>();
  const timers = tasks.map((task) => {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      const p = task
        .run()
        .then(() => counts.set(task.id, (counts.get(task.id) ?? 0) + 1))
        .catch((err: unknown) => log.warn({ err, task: task.id }, 'housekeeping task failed'))
        .finally(() => {
          running = false;
          inFlight.delete(p);
        });
      inFlight.add(p);
    }, task.intervalMs);
    timer.unref();
    return timer;
  });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      for (const t of timers) clearInterval(t);
      await Promise.allSettled([...inFlight]);
    })());
  return { runs: (id) => counts.get(id) ?? 0, close, [Symbol.asyncDispose]: close };
}

/**
 * Scaled mode: each task runs once per interval across all coordinators.
 * Every coordinator upserts one BullMQ job scheduler per task (same id, so
 * one schedule however many coordinators there are) on the housekeeping
 * queue, and runs a concurrency-1 BullMQ worker on that queue; BullMQ hands
 * each scheduled job to exactly one of them.
 */
export async function startSharedTasks(tasks: readonly ScheduledTask[], o: { redisUrl: string; prefix: string; log: Logger }): Promise<ScheduledTasks> {
  checkTasks(tasks);
  const counts = new Map<string, number>();
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const prefix = queuePrefixFor(o.redisUrl, o.prefix);
  const scheduling = queueConnection(o.redisUrl, 'fail-fast');
  const working = queueConnection(o.redisUrl, 'blocking');
  const queue = new Queue(HOUSEKEEPING_QUEUE, { prefix, connection: scheduling.connection });
  queue.on('error', (err) => o.log.warn({ err }, 'housekeeping queue connection error'));
  const worker = new Worker(
    HOUSEKEEPING_QUEUE,
    async (job) => {
      const task = byId.get(job.name);
      // A task another coordinator version schedules and this one does not know: leave it to them.
      if (!task) return { skipped: true };
      await task.run();
      counts.set(task.id, (counts.get(task.id) ?? 0) + 1);
      return { ok: true };
    },
    {
      prefix,
      connection: working.connection,
      concurrency: 1,
      autorun: false,
      removeOnComplete: { count: 100 },
      removeOnFail: { count: 100 },
    },
  );
  worker.on('error', (err) => o.log.warn({ err }, 'housekeeping worker error'));
  worker.on('failed', (job, err) => o.log.warn({ err, task: job?.name }, 'housekeeping task failed'));
  const schedule = () =>
    Promise.all(
      tasks.map((t) =>
        queue.upsertJobScheduler(t.id, { every: t.intervalMs }, { name: t.id, data: {}, opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } }),
      ),
    );
  const reassert = setInterval(() => {
    schedule().catch((err: unknown) => o.log.debug({ err }, 'cannot upsert the housekeeping schedules'));
  }, REASSERT_MS);
  reassert.unref();
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      clearInterval(reassert);
      const results = await Promise.allSettled([worker.close(), queue.close()]);
      results.push(...(await Promise.allSettled([scheduling.close(), working.close()])));
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed.length > 0) throw new AggregateError(failed.map((f) => f.reason), 'housekeeping: close failed');
    })());
  try {
    await queue.waitUntilReady();
    await schedule();
    void worker.run().catch((err: unknown) => o.log.error({ err }, 'housekeeping worker stopped'));
    await worker.waitUntilReady();
  } catch (err) {
    await close().catch(() => undefined);
    throw err instanceof CohortError ? err : new CohortError('UNAVAILABLE', `cannot schedule housekeeping in Redis: ${(err as Error).message}`, { cause: err });
  }
  return { runs: (id) => counts.get(id) ?? 0, close, [Symbol.asyncDispose]: close };
}
