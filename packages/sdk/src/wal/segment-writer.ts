import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeWalHeader, type WalHeaderMessage } from '@cohort/protocol';
import { encodeFrames, segmentFileName, type WalEntry } from './wal-format.js';
import { listSegments, scanSegment } from './wal-reader.js';

/** Options of {@link WalWriter.open}. */
export interface WalWriterOptions {
  /**
   * A segment rotates once it holds at least this many bytes.
   * @defaultValue 8 MiB
   */
  readonly segmentBytes?: number;
}

interface Segment {
  readonly file: string;
  readonly firstSeq: number;
  /** The last seq written into it (firstSeq - 1 while empty). */
  lastSeq: number;
  bytes: number;
}

/**
 * Appends records to the segment files of one run's WAL folder and deletes a
 * segment once the server has committed all of its records. Writes are
 * serialized internally: callers may fire `append` without awaiting the
 * previous one, and order is kept. Every segment starts with the header entry,
 * so a WAL stays readable after its first segments were trimmed.
 */
export class WalWriter {
  readonly dir: string;
  readonly #header: Uint8Array;
  readonly #segmentBytes: number;
  readonly #segments: Segment[] = [];
  #handle: FileHandle | undefined;
  #chain: Promise<void> = Promise.resolve();
  #failure: Error | undefined;
  #closed = false;
  #diskBytes = 0;

  private constructor(dir: string, header: Uint8Array, segmentBytes: number) {
    this.dir = dir;
    this.#header = header;
    this.#segmentBytes = segmentBytes;
  }

  /** Creates the WAL folder (if needed) for a run whose header is `header`. No segment exists until the first append. */
  static async open(dir: string, header: WalHeaderMessage, options: WalWriterOptions = {}): Promise<WalWriter> {
    await mkdir(dir, { recursive: true });
    const existing = await listSegments(dir);
    if (existing.length > 0) {
      throw new Error(`WAL folder ${dir} already holds segments; a writer only starts a new WAL`);
    }
    return new WalWriter(dir, encodeWalHeader(header), options.segmentBytes ?? 8 * 1024 * 1024);
  }

  /** Bytes currently on disk across all segments. */
  get diskBytes(): number {
    return this.#diskBytes;
  }

  /** The number of segment files on disk. */
  get segmentCount(): number {
    return this.#segments.length;
  }

  /**
   * Appends entries (contiguous seqs, in order) to the WAL. Resolves once the
   * bytes are written to the file (not fsync'ed: see docs/wal.md).
   */
  append(entries: readonly WalEntry[]): Promise<void> {
    return this.#enqueue(() => this.#append(entries));
  }

  /** Deletes every closed segment whose records are all at or below `committedSeq`. */
  trim(committedSeq: number): Promise<void> {
    return this.#enqueue(() => this.#trim(committedSeq, false));
  }

  /**
   * Reads back entries from `fromSeq` on (for a resend of records no longer
   * held in memory), up to about `maxBytes`.
   */
  readFrom(fromSeq: number, maxBytes: number): Promise<WalEntry[]> {
    let out: WalEntry[] = [];
    return this.#enqueue(async () => {
      out = await this.#readFrom(fromSeq, maxBytes);
    }).then(() => out);
  }

  /**
   * Syncs and closes the open segment. With `committedSeq`, first deletes
   * every segment (the open one included) fully covered by it.
   */
  close(committedSeq?: number): Promise<void> {
    if (this.#closed) return this.#chain;
    this.#closed = true;
    this.#chain = this.#chain.then(async () => {
      await this.#closeHandle();
      if (committedSeq !== undefined) await this.#trim(committedSeq, true);
    });
    return this.#chain;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.#chain.then(async () => {
      if (this.#failure) throw this.#failure;
      try {
        await task();
      } catch (err) {
        this.#failure = err as Error;
        throw err;
      }
    });
    // Keep the chain alive after a failure so later calls see #failure, not an unhandled rejection.
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #append(entries: readonly WalEntry[]): Promise<void> {
    if (entries.length === 0) return;
    if (this.#closed && !this.#handle) throw new Error(`WAL ${this.dir} is closed`);
    const first = entries[0]!;
    let current = this.#segments[this.#segments.length - 1];
    if (!this.#handle || !current || current.bytes >= this.#segmentBytes) {
      await this.#closeHandle();
      const file = join(this.dir, segmentFileName(first.seq));
      this.#handle = await open(file, 'wx');
      const headerFrame = encodeFrames([this.#header]);
      await this.#handle.write(headerFrame);
      current = { file, firstSeq: first.seq, lastSeq: first.seq - 1, bytes: headerFrame.length };
      this.#segments.push(current);
      this.#diskBytes += headerFrame.length;
    }
    const frames = encodeFrames(entries.map((e) => e.bytes));
    await this.#handle.write(frames);
    current.bytes += frames.length;
    current.lastSeq = entries[entries.length - 1]!.seq;
    this.#diskBytes += frames.length;
  }

  async #closeHandle(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    if (handle) {
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  }

  async #trim(committedSeq: number, includeOpen: boolean): Promise<void> {
    while (this.#segments.length > 0) {
      const seg = this.#segments[0]!;
      const isOpen = this.#segments.length === 1 && this.#handle !== undefined;
      if (seg.lastSeq > committedSeq || (isOpen && !includeOpen)) break;
      if (this.#segments.length === 1 && !includeOpen) break;
      await rm(seg.file, { force: true });
      this.#segments.shift();
      this.#diskBytes -= seg.bytes;
    }
  }

  async #readFrom(fromSeq: number, maxBytes: number): Promise<WalEntry[]> {
    const out: WalEntry[] = [];
    let bytes = 0;
    for (const seg of this.#segments) {
      if (seg.lastSeq < fromSeq) continue;
      const scan = await scanSegment(seg.file, seg.firstSeq);
      for (const e of scan.entries) {
        if (e.seq < fromSeq) continue;
        if (out.length > 0 && bytes + e.bytes.length > maxBytes) return out;
        out.push(e);
        bytes += e.bytes.length;
      }
      if (scan.corruption) throw scan.corruption;
    }
    return out;
  }
}
