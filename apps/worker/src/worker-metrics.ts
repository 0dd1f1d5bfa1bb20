import { Counter, Histogram } from 'prom-client';
import { LATENCY_BUCKETS, ProcessMetrics } from '@cohort/ops';

/**
 * The Prometheus metrics of one worker, in a registry of its own (several
 * workers in one process, as in tests, never share one). Served on
 * `GET /metrics` of the worker's HTTP port.
 */
export class WorkerMetrics extends ProcessMetrics {
  /** Records in the batch jobs this worker took. */
  readonly recordsIn = new Counter({ name: 'cohort_records_received_total', help: 'Records in the batch jobs this worker took.', registers: [this.registry] });
  /** Records committed to the store (a retried job's records counted once, when it commits). */
  readonly recordsApplied = new Counter({ name: 'cohort_records_applied_total', help: 'Records of batch jobs this worker committed.', registers: [this.registry] });
  /** Jobs by outcome: completed, retry (a retryable failure), failed (permanent). */
  readonly jobs = new Counter({ name: 'cohort_jobs_total', help: 'Batch jobs by outcome: completed, retry, failed.', labelNames: ['queue', 'result'], registers: [this.registry] });
  /** One engine apply. */
  readonly applySeconds = new Histogram({
    name: 'cohort_apply_seconds',
    help: 'Seconds the engine takes to apply one batch job (one transaction).',
    labelNames: ['mode'],
    buckets: [...LATENCY_BUCKETS],
    registers: [this.registry],
  });
  /** Queue lag: from a job's creation to this worker taking it. */
  readonly queueWaitSeconds = new Histogram({
    name: 'cohort_queue_wait_seconds',
    help: 'Seconds a batch job waited in its queue before a worker took it (queue lag).',
    labelNames: ['queue'],
    buckets: [...LATENCY_BUCKETS],
    registers: [this.registry],
  });
  /** Failed attempts by error code. */
  readonly errors = new Counter({ name: 'cohort_errors_total', help: 'Failed batch job attempts, by error code.', labelNames: ['code'], registers: [this.registry] });
}
