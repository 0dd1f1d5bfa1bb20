import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { BatchItem, Engine } from '@cohort/engine';
import {
  BATCH_QUEUE,
  CohortError,
  RETRYABLE_JOB_CODES,
  formatJobFailure,
  parseBatchJobData,
  parseRecord,
  type BatchJobResult,
  type ErrorCode,
  type JobBatch,
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
  /** The `queue` label of its metrics: the shard's (`queueShardLabel`). @defaultValue `BATCH_QUEUE` */
  queue?: string;
}

type Writer = { entity: string; project: string; runId: string; writer: string };

/** A batch of a job, decoded; or why it cannot be applied. */
type DecodedBatch = { writer: Writer; records: RecordMessage[] } | { error: unknown };

/**
 * The BullMQ processor of batch jobs: checks the job data and decodes the
 * records at the boundary (`parseBatchJobData`, `parseRecord`), then applies
 * the job's batches with `engine.applyBatches`: the batches of a job belong
 * to different runs (a coordinator gathers them) and commit in one
 * transaction; batches of one run, should a job hold several, are applied
 * in order. A batch whose run moved on, or a job whose transaction failed,
 * is applied batch by batch, so a bad batch fails only itself. The engine skips
 * records at or below the run's applied seq, so a retried or duplicated job
 * changes nothing twice.
 *
 * The result has one entry per batch: its applied seq, or the code and
 * message of a permanent failure (bad data, an unknown run), which the
 * coordinator hands that batch's stream. A retryable failure of any batch
 * (`RETRYABLE_JOB_CODES`: the store unreachable, a seq gap or a lost version
 * race) throws a plain error once every batch was tried, so BullMQ retries
 * the job with backoff; the batches that committed are no-ops then. Job data
 * that does not parse throws `UnrecoverableError`: the job fails at once.
 * Failures carry their code in the reason (`[CODE] message`).
 */
export function createBatchProcessor(deps: BatchProcessorDeps): (job: Job) => Promise<BatchJobResult> {
  const { engine, limits, log, metrics } = deps;
  const queue = deps.queue ?? BATCH_QUEUE;
  return async (job) => {
    const taken = job.processedOn ?? Date.now();
    if (job.attemptsMade === 0) metrics.queueWaitSeconds.observe({ queue }, Math.max(0, taken - job.timestamp) / 1000);
    let batches: DecodedBatch[];
    try {
      batches = parseBatchJobData(job.data, limits).batches.map((b, i) => decodeBatch(b, i, limits));
    } catch (err) {
      throw fail(err, job, queue, log, metrics);
    }
    if (job.attemptsMade === 0) metrics.recordsIn.inc(batches.reduce((n, b) => n + ('records' in b ? b.records.length : 0), 0));
    const start = performance.now();
    const results = await applyAll(engine, batches);
    const retryable = results.find((r): r is { error: unknown } => 'error' in r && RETRYABLE_JOB_CODES.has(codeOf(r.error)));
    if (retryable) throw fail(retryable.error, job, queue, log, metrics);
    metrics.applySeconds.observe({ mode: 'scaled' }, (performance.now() - start) / 1000);
    metrics.jobs.inc({ queue, result: 'completed' });
    return {
      results: results.map((r, i) => {
        const batch = batches[i]!;
        if ('error' in r) {
          const code = codeOf(r.error);
          const message = r.error instanceof Error ? r.error.message : String(r.error);
          metrics.errors.inc({ code });
          log.info({ jobId: job.id, batch: i, code, reason: message }, 'batch failed for good');
          return { code, message };
        }
        if ('records' in batch) {
          metrics.recordsApplied.inc(batch.records.length);
          if (r.rejected.length > 0) logRejected(log, batch.writer, r.rejected);
        }
        return { appliedSeq: r.appliedSeq, rejected: r.rejected.length };
      }),
    };
  };
}

/** Decodes one batch of a job; a bad record makes the batch a permanent failure, not the job. */
function decodeBatch(batch: JobBatch, index: number, limits: Readonly<Limits>): DecodedBatch {
  try {
    const records = batch.records.map((b64, i) => parseRecord(Buffer.from(b64, 'base64'), i, limits));
    records.forEach((r, i) => {
      if (r.seq !== batch.firstSeq + i) {
        throw new CohortError('INVALID_ARGUMENT', `job.data.batches[${index}].records[${i}].seq: expected ${batch.firstSeq + i}, got ${r.seq}`);
      }
    });
    return { writer: { entity: batch.entity, project: batch.project, runId: batch.runId, writer: batch.writer }, records };
  } catch (err) {
    // parseRecord names `records[i]...`: say which batch of the job.
    const named = err instanceof CohortError && err.message.startsWith('records[') ? new CohortError(err.code, `job.data.batches[${index}].${err.message}`, { cause: err }) : err;
    return { error: named };
  }
}

type Applied = Awaited<ReturnType<Engine['applyBatch']>>;

/**
 * Applies the decoded batches with `engine.applyBatches`: one read of their
 * runs and one transaction for all of them (round trips per job, not per
 * run); batches of one run in order. Answers an outcome per batch.
 */
async function applyAll(engine: Engine, batches: readonly DecodedBatch[]): Promise<Array<Applied | { error: unknown }>> {
  const results: Array<Applied | { error: unknown }> = batches.map((b) => ('error' in b ? b : { error: undefined }));
  const indexes: number[] = [];
  const items: BatchItem[] = [];
  batches.forEach((b, i) => {
    if (!('records' in b)) return;
    indexes.push(i);
    items.push({ run: b.writer, records: b.records });
  });
  if (items.length === 0) return results;
  let applied: Array<Applied | { error: unknown }>;
  try {
    applied = await engine.applyBatches(items);
  } catch (err) {
    applied = items.map(() => ({ error: err }));
  }
  applied.forEach((r, n) => (results[indexes[n]!] = r));
  return results;
}

function codeOf(err: unknown): ErrorCode {
  return err instanceof CohortError ? err.code : 'INTERNAL';
}

function logRejected(log: Logger, writer: Writer, rejected: Applied['rejected']): void {
  log.info(
    {
      run: `${writer.entity}/${writer.project}/${writer.runId}`,
      ...(writer.writer !== '' && { writer: writer.writer }),
      rejected: rejected.map((r) => ({ seq: r.seq, code: r.error.code, reason: r.error.message })),
    },
    'records refused by the engine',
  );
}

/** The error to throw for a failed attempt: retryable (plain) or permanent (`UnrecoverableError`). */
function fail(err: unknown, job: Job, queue: string, log: Logger, metrics: WorkerMetrics): Error {
  const code = codeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  metrics.errors.inc({ code });
  const retryable = RETRYABLE_JOB_CODES.has(code);
  metrics.jobs.inc({ queue, result: retryable ? 'retry' : 'failed' });
  if (code === 'INTERNAL') log.error({ err, jobId: job.id, attempt: job.attemptsMade + 1 }, 'batch job failed unexpectedly; it will be retried');
  else if (retryable) log.debug({ jobId: job.id, code, reason: message, attempt: job.attemptsMade + 1 }, 'batch job will be retried');
  else log.info({ jobId: job.id, code, reason: message }, 'batch job failed for good');
  const reason = formatJobFailure(code, message);
  return retryable ? new Error(reason, { cause: err }) : new UnrecoverableError(reason);
}
