import { z } from 'zod';
import { CohortError, ERROR_CODES, type ErrorCode } from './errors.js';
import { formatIssue } from './schemas/format-issue.js';
import { DEFAULT_LIMITS, type Limits } from './schemas/limits.js';

/**
 * The scaled-mode contract between coordinators (producers) and workers
 * (consumers) of the BullMQ batch queue: queue names, the job data, the
 * result, and how a failure carries its error code. docs/scaled-mode.md
 * explains the design.
 */

/** The BullMQ queue of record batches. */
export const BATCH_QUEUE = 'batches';
/** The BullMQ queue of housekeeping jobs (the heartbeat sweeper). */
export const HOUSEKEEPING_QUEUE = 'housekeeping';
/** The Redis key prefix of Cohort's queues unless one is given. */
export const DEFAULT_QUEUE_PREFIX = 'cohort';
/** The job name of a record batch. */
export const BATCH_JOB_NAME = 'apply';

/**
 * Error codes after which a batch job is retried with backoff: the store is
 * unreachable or slow, an earlier batch of the run is not applied yet (a seq
 * gap) or another applier moved the run on (version guard). Anything else is
 * permanent: the job fails at once and the coordinator reports it.
 */
export const RETRYABLE_JOB_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'UNAVAILABLE',
  'DEADLINE_EXCEEDED',
  'FAILED_PRECONDITION',
  'RESOURCE_EXHAUSTED',
  'INTERNAL',
]);

const runPartSchema = z.string().max(1024);

/** The most batches one job carries (of different runs, gathered by a coordinator for a few ms). */
export const MAX_JOB_BATCHES = 256;

/** One batch of a job: which writer of which run, and its encoded records (base64). */
export const jobBatchSchema = z.object({
  entity: runPartSchema.min(1),
  project: runPartSchema.min(1),
  runId: runPartSchema.min(1),
  /** The shared-mode writer label; '' for the run's own records. */
  writer: runPartSchema,
  firstSeq: z.number().int().min(1),
  lastSeq: z.number().int().min(1),
  /** The records as the SDK encoded them, base64, in seq order. */
  records: z.array(z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, { message: 'expected base64' })).min(1),
});

/** One batch of a job. */
export type JobBatch = z.infer<typeof jobBatchSchema>;

/**
 * The data of one batch job: the batches of one or more runs that a
 * coordinator gathered, each applied in its own transaction. A job carries
 * at most one batch per writer in the normal course; a worker applies the
 * batches of one run in the order given.
 */
export const batchJobDataSchema = z.object({
  v: z.literal(2),
  batches: z.array(jobBatchSchema).min(1).max(MAX_JOB_BATCHES),
});

/** The data of one batch job. */
export type BatchJobData = z.infer<typeof batchJobDataSchema>;

/** The outcome of one batch of a job: applied (some records perhaps refused), or failed for good with a code. */
export const jobBatchResultSchema = z.union([
  z.object({
    /** The writer's applied seq after the batch. */
    appliedSeq: z.number().int().min(0),
    /** Records the engine refused (INVALID_ARGUMENT); the others were applied. */
    rejected: z.number().int().min(0),
  }),
  z.object({
    /** Why the batch failed for good (not retryable): bad data, an unknown run... */
    code: z.enum(ERROR_CODES),
    message: z.string(),
  }),
]);

/** The outcome of one batch of a job. */
export type JobBatchResult = z.infer<typeof jobBatchResultSchema>;

/** What a worker answers for a job it completed: one result per batch, in the job's order. */
export const batchJobResultSchema = z.object({ results: z.array(jobBatchResultSchema) });

/** What a worker answers for a job it completed. */
export type BatchJobResult = z.infer<typeof batchJobResultSchema>;

/** The writer a batch belongs to. */
export interface BatchWriter {
  entity: string;
  project: string;
  runId: string;
  writer: string;
}

/** One batch to put in a job: a writer and the encoded bytes of its records `firstSeq`..`lastSeq`. */
export interface JobBatchInput {
  writer: BatchWriter;
  firstSeq: number;
  lastSeq: number;
  records: readonly Uint8Array[];
}

/** Builds the data of a batch job from its batches' encoded records. */
export function encodeBatchJobData(batches: readonly JobBatchInput[]): BatchJobData {
  return {
    v: 2,
    batches: batches.map((b) => ({
      entity: b.writer.entity,
      project: b.writer.project,
      runId: b.writer.runId,
      writer: b.writer.writer,
      firstSeq: b.firstSeq,
      lastSeq: b.lastSeq,
      records: b.records.map((r) => Buffer.from(r.buffer, r.byteOffset, r.byteLength).toString('base64')),
    })),
  };
}

/**
 * Checks job data at the worker's boundary: the shape, at most
 * {@link MAX_JOB_BATCHES} batches, at most `limits.maxRecordsPerBatch`
 * records per batch, and seq ranges that match the record counts. Throws
 * INVALID_ARGUMENT naming the field.
 */
export function parseBatchJobData(data: unknown, limits: Readonly<Limits> = DEFAULT_LIMITS): BatchJobData {
  const parsed = batchJobDataSchema.safeParse(data);
  if (!parsed.success) throw new CohortError('INVALID_ARGUMENT', formatIssue('job.data', parsed.error.issues));
  parsed.data.batches.forEach((batch, i) => {
    const field = `job.data.batches[${i}]`;
    if (batch.records.length > limits.maxRecordsPerBatch) {
      throw new CohortError('INVALID_ARGUMENT', `${field}.records: holds ${batch.records.length} records; at most ${limits.maxRecordsPerBatch} are allowed`);
    }
    if (batch.lastSeq - batch.firstSeq + 1 !== batch.records.length) {
      throw new CohortError(
        'INVALID_ARGUMENT',
        `${field}: seqs ${batch.firstSeq}..${batch.lastSeq} name ${batch.lastSeq - batch.firstSeq + 1} records, but ${batch.records.length} came`,
      );
    }
  });
  return parsed.data;
}

/** The failure reason a worker gives a job: `[CODE] message`, so the coordinator can tell the client the code. */
export function formatJobFailure(code: ErrorCode, message: string): string {
  return `[${code}] ${message}`;
}

/** Reads a failure reason written by {@link formatJobFailure}; anything else is INTERNAL. */
export function parseJobFailure(reason: string): { code: ErrorCode; message: string } {
  const m = /^\[([A-Z_]+)\] ([\s\S]*)$/.exec(reason);
  if (m && (ERROR_CODES as readonly string[]).includes(m[1]!)) return { code: m[1] as ErrorCode, message: m[2]! };
  return { code: 'INTERNAL', message: reason };
}
