import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Latency buckets, in seconds: 1 ms to 60 s. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * The Prometheus metrics of one worker, in a registry of its own (several
 * workers in one process, as in tests, never share one). Served on
 * `GET /metrics` of the worker's HTTP port.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
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
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  /** Queue lag: from a job's creation to this worker taking it. */
  readonly queueWaitSeconds = new Histogram({
    name: 'cohort_queue_wait_seconds',
    help: 'Seconds a batch job waited in its queue before a worker took it (queue lag).',
    labelNames: ['queue'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  /** Failed attempts by error code. */
  readonly errors = new Counter({ name: 'cohort_errors_total', help: 'Failed batch job attempts, by error code.', labelNames: ['code'], registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** A gauge read on each scrape. */
  gauge(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /** A labelled gauge read on each scrape. */
  labelledGauge(name: string, help: string, labelNames: string[], read: () => Promise<Array<[Record<string, string>, number]>>): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [labels, value] of await read()) this.set(labels, value);
      },
    });
  }
}
