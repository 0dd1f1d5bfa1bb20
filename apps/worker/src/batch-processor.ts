import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Engine } from '@cohort/engine';
import {
  BATCH_QUEUE,
  CohortError,
  RETRYABLE_JOB_CODES,
  formatJobFailure,
  parseBatchJobData,
  parseRecord,
  type BatchJobResult,
  type Limits,
  type RecordMessage,
} from '@cohort/protocol';
import type { WorkerMetrics } from './worker-metrics.js';

/** What {@link createBatchProcessor} needs. */
export interface BatchProcessorDeps {
  engine: Engine;
  limits: Readonly<Limits>;
  log: Logger;
  metrics: WorkerMetrics;
}

/**
 * The BullMQ processor of batch jobs: checks the job data and decodes the
 * records at the boundary (`parseBatchJobData`, `parseRecord`), then applies
 * them with the engine in one transaction. The engine skips records at or
 * below the run's applied seq, so a retried or duplicated job changes nothing
 * twice.
 *
 * Failures carry their code in the reason (`[CODE] message`). Retryable ones
 * (`RETRYABLE_JOB_CODES`: the store unreachable, a seq gap or a lost version
 * race, meaning an earlier batch is not applied yet) throw a plain error, so
 * BullMQ retries the job with backoff; the others (bad data, an unknown run)
 * throw `UnrecoverableError`: the job fails at once and the coordinator
 * reports the code to the SDK.
 */
export function createBatchProcessor(deps: BatchProcessorDeps): (job: Job) => Promise<BatchJobResult> {
  const { engine, limits, log, metrics } = deps;
  return async (job) => {
    const taken = job.processedOn ?? Date.now();
    if (job.attemptsMade === 0) metrics.queueWaitSeconds.observe({ queue: BATCH_QUEUE }, Math.max(0, taken - job.timestamp) / 1000);
    let writer: { entity: string; project: string; runId: string; writer: string };
    let records: RecordMessage[];
    try {
      const data = parseBatchJobData(job.data, limits);
      writer = { entity: data.entity, project: data.project, runId: data.runId, writer: data.writer };
      records = data.records.map((b64, i) => parseRecord(Buffer.from(b64, 'base64'), i, limits));
      records.forEach((r, i) => {
        if (r.seq !== data.firstSeq + i) {
          throw new CohortError('INVALID_ARGUMENT', `job.data.records[${i}].seq: expected ${data.firstSeq + i}, got ${r.seq}`);
        }
      });
    } catch (err) {
      throw fail(err, job, log, metrics);
    }
    if (job.attemptsMade === 0) metrics.recordsIn.inc(records.length);
    const start = performance.now();
    let result;
    try {
      result = await engine.applyBatch(writer, records);
    } catch (err) {
      throw fail(err, job, log, metrics);
    }
    metrics.applySeconds.observe({ mode: 'scaled' }, (performance.now() - start) / 1000);
    metrics.recordsApplied.inc(records.length);
    metrics.jobs.inc({ queue: BATCH_QUEUE, result: 'completed' });
    if (result.rejected.length > 0) {
      log.info(
        {
          run: `${writer.entity}/${writer.project}/${writer.runId}`,
          ...(writer.writer !== '' && { writer: writer.writer }),
          rejected: result.rejected.map((r) => ({ seq: r.seq, code: r.error.code, reason: r.error.message })),
        },
        'records refused by the engine',
      );
    }
    return { appliedSeq: result.appliedSeq, rejected: result.rejected.length };
  };
}

/** The error to throw for a failed attempt: retryable (plain) or permanent (`UnrecoverableError`). */
function fail(err: unknown, job: Job, log: Logger, metrics: WorkerMetrics): Error {
  const code = err instanceof CohortError ? err.code : 'INTERNAL';
  const message = err instanceof Error ? err.message : String(err);
  metrics.errors.inc({ code });
  const retryable = RETRYABLE_JOB_CODES.has(code);
  metrics.jobs.inc({ queue: BATCH_QUEUE, result: retryable ? 'retry' : 'failed' });
  if (code === 'INTERNAL') log.error({ err, jobId: job.id, attempt: job.attemptsMade + 1 }, 'batch job failed unexpectedly; it will be retried');
  else if (retryable) log.debug({ jobId: job.id, code, reason: message, attempt: job.attemptsMade + 1 }, 'batch job will be retried');
  else log.info({ jobId: job.id, code, reason: message }, 'batch job failed for good');
  const reason = formatJobFailure(code, message);
  return retryable ? new Error(reason, { cause: err }) : new UnrecoverableError(reason);
}
