import { encodeRecord, type RecordMessage } from '@cohort/protocol';
import type { Logger } from './logger.js';
import type { WalEntry } from './wal/wal-format.js';
import type { WalWriter } from './wal/segment-writer.js';

/** A record without its seq: what the run hands to the log, which numbers it. */
export type RecordBody = RecordMessage extends infer R ? (R extends { seq: number } ? Omit<R, 'seq'> : never) : never;

/** Options of {@link RecordLog}. */
export interface RecordLogOptions {
  /** The seq the server has applied; this log numbers from the next one. */
  readonly appliedSeq: number;
  /** The WAL to write through; without one (tests), memory is the only buffer. */
  readonly wal: WalWriter | undefined;
  /** Unacknowledged bytes kept in memory; older ones are read back from the WAL. */
  readonly maxBufferedBytes: number;
  /** WAL bytes above which the log warns once that the server is not keeping up. */
  readonly maxWalBytes: number;
  readonly logger: Logger;
}

interface Waiter {
  readonly seq: number;
  readonly resolve: (committed: boolean) => void;
}

/**
 * The ordered, numbered records of one run between the Run and the server:
 * assigns seqs, encodes, writes through the WAL (synchronously: a record is in
 * the WAL file when `append` returns, so nothing appended is lost when the
 * process ends; docs/wal.md), serves records to send (from memory, else from
 * the WAL), and forgets them once committed.
 */
export class RecordLog {
  readonly #wal: { writer: WalWriter | undefined };
  readonly #options: RecordLogOptions;
  /** Unacknowledged entries, contiguous, ending at lastSeq. Older ones may be evicted after they are in the WAL. */
  #memory: WalEntry[] = [];
  #memoryHead = 0;
  #memoryBytes = 0;
  #lastSeq: number;
  #notifying = false;
  #committedSeq: number;
  #firstSeq: number;
  #waiters: Waiter[] = [];
  #writtenListeners: Array<() => void> = [];
  #warnedWal = false;
  #lastCommitAt: Date | null = null;
  #closed = false;

  constructor(options: RecordLogOptions) {
    this.#options = options;
    this.#wal = { writer: options.wal };
    this.#firstSeq = options.appliedSeq + 1;
    this.#lastSeq = options.appliedSeq;
    this.#committedSeq = options.appliedSeq;
  }

  /** The seq of the last appended record. */
  get lastSeq(): number {
    return this.#lastSeq;
  }
  /** The last seq written to the WAL (available to send): every appended one. */
  get writtenSeq(): number {
    return this.#lastSeq;
  }
  /** The last seq the server committed. */
  get committedSeq(): number {
    return this.#committedSeq;
  }
  /** Records appended by this process. */
  get appendedCount(): number {
    return this.#lastSeq - this.#firstSeq + 1;
  }
  /** When the server last acknowledged a commit. */
  get lastCommitAt(): Date | null {
    return this.#lastCommitAt;
  }

  /** Calls `listener` whenever more records are written (and so can be sent). */
  onWritten(listener: () => void): void {
    this.#writtenListeners.push(listener);
  }

  /** Numbers, encodes and writes one record to the WAL. Returns its seq. */
  append(body: RecordBody): number {
    if (this.#closed) throw new Error('record log is closed');
    const seq = ++this.#lastSeq;
    const bytes = encodeRecord({ ...body, seq } as RecordMessage);
    const entry: WalEntry = { seq, bytes };
    this.#memory.push(entry);
    this.#memoryBytes += bytes.length;
    const writer = this.#wal.writer;
    if (writer) {
      try {
        writer.append([entry]);
      } catch (err) {
        this.#walFailed(err);
      }
    }
    this.#evict();
    this.#checkWalSize();
    if (!this.#notifying) {
      // Listeners hear once per tick, so the records of one tick go out as one batch.
      this.#notifying = true;
      queueMicrotask(() => {
        this.#notifying = false;
        for (const l of this.#writtenListeners) l();
      });
    }
    return seq;
  }

  /**
   * Entries from `fromSeq` on (only those already in the WAL), up to about
   * `maxBytes` (at least one entry when any is available).
   */
  async read(fromSeq: number, maxBytes: number): Promise<WalEntry[]> {
    if (fromSeq > this.#lastSeq) return [];
    const memStart = this.#memory[this.#memoryHead]?.seq ?? this.#lastSeq + 1;
    if (fromSeq < memStart) {
      if (!this.#wal.writer) return [];
      const fromWal = await this.#wal.writer.readFrom(fromSeq, maxBytes);
      return fromWal;
    }
    const out: WalEntry[] = [];
    let bytes = 0;
    for (let i = this.#memoryHead + (fromSeq - memStart); i < this.#memory.length; i++) {
      const e = this.#memory[i]!;
      if (out.length > 0 && bytes + e.bytes.length > maxBytes) break;
      out.push(e);
      bytes += e.bytes.length;
    }
    return out;
  }

  /** Records that the server committed everything up to `seq`. */
  committed(seq: number): void {
    if (seq <= this.#committedSeq) return;
    this.#committedSeq = Math.min(seq, this.#lastSeq);
    this.#lastCommitAt = new Date();
    while (this.#memoryHead < this.#memory.length && this.#memory[this.#memoryHead]!.seq <= this.#committedSeq) {
      this.#memoryBytes -= this.#memory[this.#memoryHead]!.bytes.length;
      this.#memoryHead++;
    }
    this.#compact();
    this.#wal.writer?.trim(this.#committedSeq).catch((err: unknown) => this.#walFailed(err));
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.seq <= this.#committedSeq) w.resolve(true);
      else still.push(w);
    }
    this.#waiters = still;
  }

  /**
   * Resolves true once `seq` is committed, false after `timeoutMs` or when
   * {@link RecordLog.abandonWaiters} is called (the stream failed for good).
   * The timer is deliberately not unref'd: `finish()` keeps the process alive
   * until the data is committed or the timeout passes.
   */
  waitCommitted(seq: number, timeoutMs: number): Promise<boolean> {
    if (seq <= this.#committedSeq) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        resolve(ok);
      };
      this.#waiters.push({ seq, resolve: done });
    });
  }

  /** Resolves every waiter with false (the stream gave up). */
  abandonWaiters(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.resolve(false);
  }

  /** Whether it is closed (no more appends). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the WAL, deleting segments the server committed. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.abandonWaiters();
    const writer = this.#wal.writer;
    if (writer) await writer.close(this.#committedSeq).catch((err: unknown) => this.#walFailed(err));
  }

  /** Drops the oldest written entries from memory while over the bound; they stay in the WAL. */
  #evict(): void {
    if (!this.#wal.writer) return;
    while (this.#memoryBytes > this.#options.maxBufferedBytes && this.#memoryHead < this.#memory.length) {
      const e = this.#memory[this.#memoryHead]!;
      this.#memoryBytes -= e.bytes.length;
      this.#memoryHead++;
    }
    this.#compact();
  }

  #compact(): void {
    if (this.#memoryHead > 1024 && this.#memoryHead * 2 > this.#memory.length) {
      this.#memory = this.#memory.slice(this.#memoryHead);
      this.#memoryHead = 0;
    }
  }

  #checkWalSize(): void {
    const bytes = this.#wal.writer?.diskBytes ?? 0;
    if (!this.#warnedWal && bytes > this.#options.maxWalBytes) {
      this.#warnedWal = true;
      this.#options.logger.warn(
        `The WAL holds ${bytes} bytes the server has not committed (over maxWalBytes=${this.#options.maxWalBytes}); ` +
          'is the server reachable? Nothing is dropped: records wait on disk.',
      );
    }
  }

  #walFailed(err: unknown): void {
    if (!this.#wal.writer) return;
    this.#wal.writer = undefined;
    this.#options.logger.error(
      `Writing the WAL failed (${(err as Error).message}); records are now kept in memory only until the server commits them.`,
    );
  }
}
