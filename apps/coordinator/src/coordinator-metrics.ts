import { Counter, Histogram } from 'prom-client';
import { LATENCY_BUCKETS, ProcessMetrics } from '@cohort/ops';
import { CohortError } from '@cohort/protocol';
import type { ApplyObserver } from './apply-queue.js';

/**
 * The Prometheus metrics of one coordinator, in a registry of its own (so
 * that several coordinators in one process, as in tests, never share one).
 * Served on `GET /metrics`.
 */
export class CoordinatorMetrics extends ProcessMetrics {
  /** Records received in batches from SDK streams. */
  readonly recordsIn = new Counter({ name: 'cohort_records_received_total', help: 'Records received from SDK streams.', registers: [this.registry] });
  /** Batches received. */
  readonly batchesIn = new Counter({ name: 'cohort_batches_received_total', help: 'Record batches received from SDK streams.', registers: [this.registry] });
  /** Records committed (applied to the store) and acked. */
  readonly recordsCommitted = new Counter({
    name: 'cohort_records_committed_total',
    help: 'Records committed to the store and acked to the SDK.',
    registers: [this.registry],
  });
  /** From a batch's arrival to its committed ack. */
  readonly commitAckSeconds = new Histogram({
    name: 'cohort_commit_ack_seconds',
    help: "Seconds from a batch's arrival to its committed ack (run queue wait included).",
    buckets: [...LATENCY_BUCKETS],
    registers: [this.registry],
  });
  /** One apply: the engine's call (embedded) or enqueue to job completion (scaled). */
  readonly applySeconds = new Histogram({
    name: 'cohort_apply_seconds',
    help: 'Seconds one batch takes to apply: the engine call (embedded), or from enqueue to job completion (scaled).',
    labelNames: ['mode'],
    buckets: [...LATENCY_BUCKETS],
    registers: [this.registry],
  });
  /** Failed batches by error code. */
  readonly errors = new Counter({ name: 'cohort_errors_total', help: 'Batches that failed, by error code.', labelNames: ['code'], registers: [this.registry] });
  /** Times a batch waited because the batch queue was over its bound. */
  readonly backpressureWaits = new Counter({
    name: 'cohort_backpressure_waits_total',
    help: 'Batches held back because the batch queue was deeper than its bound.',
    registers: [this.registry],
  });
  /** Heartbeat sweeps this coordinator ran. */
  readonly sweeps = new Counter({ name: 'cohort_sweeps_total', help: 'Heartbeat sweeps run by this process.', registers: [this.registry] });
  /** Runs the sweeper marked crashed or preempted. */
  readonly runsExpired = new Counter({
    name: 'cohort_runs_expired_total',
    help: 'Runs the heartbeat sweeper marked crashed or preempted.',
    labelNames: ['state'],
    registers: [this.registry],
  });

  /** History chunks the compaction this coordinator ran took out and wrote back merged. */
  readonly chunksCompacted = new Counter({
    name: 'cohort_history_chunks_compacted_total',
    help: 'History chunks merged by the compaction passes of this process: removed (merged away) and written (the merged ones).',
    labelNames: ['op'],
    registers: [this.registry],
  });

  /** Counts an error by its code (INTERNAL for anything that is not a `CohortError`). */
  countError(err: unknown): void {
    this.errors.inc({ code: err instanceof CohortError ? err.code : 'INTERNAL' });
  }

  /** The observer of the run apply queues: records in and out, commit-ack latency, errors. */
  applyObserver(): ApplyObserver {
    return {
      enqueued: (records) => {
        this.batchesIn.inc();
        this.recordsIn.inc(records);
      },
      settled: (records, seconds, error) => {
        if (error !== undefined) {
          this.countError(error);
          return;
        }
        this.recordsCommitted.inc(records);
        this.commitAckSeconds.observe(seconds);
      },
    };
  }
}
