import { CohortError, type RecordMessage } from '@cohort/protocol';

/** Names one run: `entity/project/runId`. */
export interface RunRef {
  entity: string;
  project: string;
  runId: string;
}

/** One writer of a run: the run itself (`writer` '') or a shared-mode writer with its own seq space. */
export interface WriterRef extends RunRef {
  writer: string;
}

/**
 * Applies one batch of one writer; resolves with the writer's applied seq
 * after it. `raw` holds the records as the client encoded them (empty when
 * the enqueuer had none): scaled mode queues those bytes instead of
 * encoding the records again.
 */
export type ApplyBatch = (writer: WriterRef, records: RecordMessage[], raw: readonly Uint8Array[]) => Promise<{ appliedSeq: number }>;

/** Bounds of one run's queue. Over them a stream stops reading (back-pressure). */
export interface ApplyQueueLimits {
  /** Batches waiting or being applied, per run. */
  maxQueuedBatches: number;
  /** Encoded bytes of the batches waiting or being applied, per run. */
  maxQueuedBytes: number;
  /**
   * Most batches merged into one apply: batches of one writer with
   * contiguous seqs that wait together go as one (one transaction, one
   * queued job), so a run that falls behind catches up in fewer, larger
   * applies. @defaultValue 1 (never merged)
   */
  coalesceBatches?: number;
  /** Most encoded bytes of one merged apply. @defaultValue 16 MiB */
  coalesceBytes?: number;
  /** Most records of one merged apply. @defaultValue 10 000 */
  coalesceRecords?: number;
}

/** Sees every batch of every run queue: for metrics. */
export interface ApplyObserver {
  /** A batch of `records` records was enqueued. */
  enqueued(records: number): void;
  /** A batch settled `seconds` after it was enqueued; `error` when it failed. */
  settled(records: number, seconds: number, error?: unknown): void;
}

interface PendingBatch {
  writer: string;
  records: RecordMessage[];
  raw: readonly Uint8Array[];
  bytes: number;
  start: number;
  /** True once the sender is gone (its stream ended): the batch is then dropped unapplied. */
  cancelled: (() => boolean) | undefined;
  resolve(appliedSeq: number): void;
  reject(err: unknown): void;
}

/**
 * The serial apply queue of one run: batches of one run are applied one at a
 * time and in the order they were enqueued, whichever stream (or shared-mode
 * writer) they came from. A failed apply fails only the batches in it (one,
 * unless `coalesceBatches` merged several).
 */
export class RunApplyQueue {
  readonly run: RunRef;
  readonly #pending: PendingBatch[] = [];
  #running = false;
  #batches = 0;
  #bytes = 0;
  #waiters: (() => void)[] = [];
  #drainWaiters: (() => void)[] = [];
  readonly #apply: ApplyBatch;
  readonly #limits: ApplyQueueLimits;
  readonly #onIdle: () => void;
  readonly #observer: ApplyObserver | undefined;

  constructor(run: RunRef, apply: ApplyBatch, limits: ApplyQueueLimits, onIdle: () => void, observer?: ApplyObserver) {
    this.run = run;
    this.#apply = apply;
    this.#limits = limits;
    this.#onIdle = onIdle;
    this.#observer = observer;
  }

  /** Batches waiting or being applied. */
  get size(): number {
    return this.#batches;
  }

  /** Encoded bytes of the batches waiting or being applied. */
  get bytes(): number {
    return this.#bytes;
  }

  /** True when the queue is at or over a bound: the enqueuer should wait for {@link whenNotFull}. */
  get full(): boolean {
    return this.#batches >= this.#limits.maxQueuedBatches || this.#bytes >= this.#limits.maxQueuedBytes;
  }

  /**
   * Adds a batch of `writer` (shared mode; '' for the run's own records)
   * after every batch already queued for this run. Resolves with the
   * writer's applied seq once the batch is committed; rejects with the
   * engine's error for this batch only. `raw`: the records' encoded bytes,
   * when the enqueuer has them. `cancelled`: when it answers true by the
   * time the batch's turn comes, the batch is rejected unapplied — a stream
   * that ended (its SDK resends from its last ack) must not leave batches
   * behind that would gap after the one that failed and hold up the resend.
   */
  enqueue(records: RecordMessage[], bytes: number, writer = '', raw: readonly Uint8Array[] = [], cancelled?: () => boolean): Promise<number> {
    this.#batches++;
    this.#bytes += bytes;
    this.#observer?.enqueued(records.length);
    return new Promise<number>((resolve, reject) => {
      this.#pending.push({ writer, records, raw, bytes, start: performance.now(), cancelled, resolve, reject });
      this.#pump();
    });
  }

  /** Resolves once the queue is below its bounds. */
  whenNotFull(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Resolves once every batch enqueued so far has settled. */
  drained(): Promise<void> {
    if (!this.#running && this.#pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  #pump(): void {
    if (this.#running) return;
    const group = this.#take();
    if (group.length === 0) {
      for (const wake of this.#drainWaiters.splice(0)) wake();
      return;
    }
    this.#running = true;
    const first = group[0]!;
    const records = group.length === 1 ? first.records : group.flatMap((g) => g.records);
    const raw = group.every((g) => g.raw.length === g.records.length) ? (group.length === 1 ? first.raw : group.flatMap((g) => g.raw)) : [];
    const settle = (err: unknown, appliedSeq: number) => {
      for (const g of group) {
        this.#observer?.settled(g.records.length, (performance.now() - g.start) / 1000, err);
        this.#release(g.bytes);
        if (err === undefined) g.resolve(appliedSeq);
        else g.reject(err);
      }
      this.#running = false;
      this.#pump();
    };
    // Started on a later turn, as the promise chain did: the enqueuer attaches its handlers first.
    // Checked on that later turn too: a failed batch's stream ends in the reaction to its rejection, queued before this.
    void Promise.resolve()
      .then(() => {
        if (group.some((g) => g.cancelled?.() === true)) {
          throw new CohortError('UNAVAILABLE', 'the stream that sent this batch ended before it was applied; resend from the last ack');
        }
        return this.#apply({ ...this.run, writer: first.writer }, records, raw);
      })
      .then(
        (r) => settle(undefined, r.appliedSeq),
        (err: unknown) => settle(err ?? new Error('apply failed'), 0),
      );
  }

  /** The next batch, with the batches after it that can merge into it. */
  #take(): PendingBatch[] {
    const first = this.#pending.shift();
    if (!first) return [];
    const group = [first];
    const most = this.#limits.coalesceBatches ?? 1;
    const maxBytes = this.#limits.coalesceBytes ?? 16 * 1024 * 1024;
    const maxRecords = this.#limits.coalesceRecords ?? 10_000;
    let bytes = first.bytes;
    let count = first.records.length;
    while (group.length < most) {
      const next = this.#pending[0];
      const last = group[group.length - 1]!.records.at(-1);
      const head = next?.records[0];
      if (!next || !last || !head || next.writer !== first.writer || head.seq !== last.seq + 1) break;
      if (bytes + next.bytes > maxBytes || count + next.records.length > maxRecords) break;
      group.push(this.#pending.shift()!);
      bytes += next.bytes;
      count += next.records.length;
    }
    return group;
  }

  #release(bytes: number): void {
    this.#batches--;
    this.#bytes -= bytes;
    if (!this.full && this.#waiters.length > 0) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const wake of waiters) wake();
    }
    if (this.#batches === 0) this.#onIdle();
  }
}

/**
 * One {@link RunApplyQueue} per run in this coordinator, shared by all the
 * streams of that run. A queue exists only while it holds batches.
 */
export class ApplyQueues {
  readonly #queues = new Map<string, RunApplyQueue>();
  readonly #apply: ApplyBatch;
  readonly #limits: ApplyQueueLimits;
  readonly #observer: ApplyObserver | undefined;

  constructor(apply: ApplyBatch, limits: ApplyQueueLimits, observer?: ApplyObserver) {
    this.#apply = apply;
    this.#limits = limits;
    this.#observer = observer;
  }

  /** The queue of a run, created on first use. */
  forRun(run: RunRef): RunApplyQueue {
    const key = runKey(run);
    let queue = this.#queues.get(key);
    if (!queue) {
      const created = new RunApplyQueue(run, this.#apply, this.#limits, () => {
        if (this.#queues.get(key) === created && created.size === 0) this.#queues.delete(key);
      }, this.#observer);
      queue = created;
      this.#queues.set(key, queue);
    }
    return queue;
  }

  /** Runs with batches waiting or being applied. */
  get activeRuns(): number {
    return this.#queues.size;
  }

  /** Batches and bytes waiting or being applied, over all runs. */
  totals(): { batches: number; bytes: number } {
    let batches = 0;
    let bytes = 0;
    for (const q of this.#queues.values()) {
      batches += q.size;
      bytes += q.bytes;
    }
    return { batches, bytes };
  }

  /** Resolves once every batch enqueued so far, in every run, has settled. */
  async drain(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((q) => q.drained()));
  }
}

/** The map key of a run. JSON keeps names with "/" apart. */
export function runKey(run: RunRef): string {
  return JSON.stringify([run.entity, run.project, run.runId]);
}
