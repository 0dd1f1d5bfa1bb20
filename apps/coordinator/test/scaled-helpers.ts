import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { inject } from 'vitest';
import { BATCH_QUEUE, HOUSEKEEPING_QUEUE } from '@cohort/protocol';
import { startWorker, type CohortWorker, type WorkerOptions } from '@cohort/worker';
import { createTestDatabase, type TestDatabase } from '../../../test/harness/postgres-service.js';
import { startCoordinator, type Coordinator, type CoordinatorOptions, type ScaledModeOptions } from '../src/index.js';

/** Options of {@link scaledCluster}. */
export interface ScaledClusterOptions {
  coordinators?: number;
  workers?: number;
  coordinator?: Partial<CoordinatorOptions>;
  scaled?: Partial<ScaledModeOptions>;
  worker?: Partial<WorkerOptions>;
}

/** Coordinators and workers in this process over a fresh database and a Redis prefix of their own. */
export interface ScaledCluster extends AsyncDisposable {
  db: TestDatabase;
  redisUrl: string;
  prefix: string;
  coordinators: Coordinator[];
  workers: CohortWorker[];
  /** A producer-side handle of the batch queue, for counts. */
  queue: Queue;
  /** Starts one more worker on the cluster's queue and database. */
  addWorker(options?: Partial<WorkerOptions>): Promise<CohortWorker>;
}

/**
 * Starts a scaled deployment in process: `coordinators` coordinators (gRPC
 * and HTTP on port 0) and `workers` workers sharing one test database and one
 * random BullMQ prefix. Disposal closes everything, then removes the queues
 * and drops the database.
 */
export async function scaledCluster(options: ScaledClusterOptions = {}): Promise<ScaledCluster> {
  const db = await createTestDatabase(inject('databaseUrl'));
  const redisUrl = inject('redisUrl');
  const prefix = `test-${randomUUID()}`;
  const coordinators: Coordinator[] = [];
  const workers: CohortWorker[] = [];
  const queue = new Queue(BATCH_QUEUE, { prefix, connection: { url: redisUrl, maxRetriesPerRequest: 1 } });
  const addWorker = async (extra: Partial<WorkerOptions> = {}): Promise<CohortWorker> => {
    const worker = await startWorker({ redisUrl, postgresUrl: db.url, prefix, concurrency: 4, lockDurationMs: 5000, shutdownTimeoutMs: 2000, ...options.worker, ...extra });
    workers.push(worker);
    return worker;
  };
  const dispose = async (): Promise<void> => {
    const errors: unknown[] = [];
    const step = async (run: () => Promise<unknown>) => {
      try {
        await run();
      } catch (err) {
        errors.push(err);
      }
    };
    await step(() => Promise.all(coordinators.map((c) => c.close())));
    await step(() => Promise.all(workers.map((w) => w.close())));
    const housekeeping = new Queue(HOUSEKEEPING_QUEUE, { prefix, connection: { url: redisUrl, maxRetriesPerRequest: 1 } });
    await step(() => housekeeping.obliterate({ force: true }));
    await step(() => housekeeping.close());
    await step(() => queue.obliterate({ force: true }));
    await step(() => queue.close());
    await step(() => db.drop());
    if (errors.length > 0) throw new AggregateError(errors, 'scaled cluster: dispose failed');
  };
  try {
    for (let i = 0; i < (options.coordinators ?? 1); i++) {
      coordinators.push(
        await startCoordinator({
          grpcPort: 0,
          httpPort: 0,
          shutdownTimeoutMs: 1000,
          ...options.coordinator,
          scaled: { redisUrl, postgresUrl: db.url, prefix, depthPollMs: 50, ...options.scaled },
        }),
      );
    }
    for (let i = 0; i < (options.workers ?? 0); i++) await addWorker();
  } catch (err) {
    await dispose().catch(() => undefined);
    throw err;
  }
  return { db, redisUrl, prefix, coordinators, workers, queue, addWorker, [Symbol.asyncDispose]: dispose };
}

/** Polls `check` every 25 ms until it holds, or fails after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
