/**
 * The Cohort worker pool of the scaled mode: a BullMQ worker that applies
 * the record batches coordinators queue, with the same `@cohort/engine` as
 * the embedded mode, over PostgreSQL. docs/scaled-mode.md explains the design.
 *
 * @example
 * import { startWorker } from '@cohort/worker';
 * await using worker = await startWorker({
 *   redisUrl: 'redis://127.0.0.1:6379',
 *   postgresUrl: 'postgres://cohort:cohort@127.0.0.1:5432/cohort',
 *   concurrency: 8,
 *   httpPort: 7713, // /metrics, /healthz, /readyz
 * });
 */
export { parseWorkerOptions, startWorker } from './worker.js';
export { OptionsError } from '@cohort/ops';
export type { CohortWorker, WorkerOptions, WorkerState, WorkerStats } from './worker.js';
export { createBatchProcessor } from './batch-processor.js';
export type { BatchProcessorDeps } from './batch-processor.js';
