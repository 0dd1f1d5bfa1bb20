import { closeSync, fsync, close as closeFd, fsyncSync, openSync, writeSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
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
 * segment once the server has committed all of its records. Appends are
 * synchronous (`writeSync`): once `append` returns, the OS holds the bytes, so
 * they survive the process ending at any moment after (an `exit` hook, an
 * uncaught exception; docs/wal.md). Trims, reads and close are serialized on a
 * chain. Every segment starts with the header entry, so a WAL stays readable
 * after its first segments were trimmed.
 */
export class WalWriter {
  readonly dir: string;
  readonly #header: Uint8Array;
  readonly #segmentBytes: number;
  readonly #segments: Segment[] = [];
  /** The file descriptor of the segment being written. */
  #fd: number | undefined;
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
   * Appends entries (contiguous seqs, in order) to the WAL, synchronously:
   * the bytes are in the file when it returns (not fsync'ed: see docs/wal.md).
   * Throws when the write fails, and every later append throws the same.
   */
  append(entries: readonly WalEntry[]): void {
    if (this.#failure) throw this.#failure;
    try {
      this.#append(entries);
    } catch (err) {
      this.#failure = err as Error;
      throw err;
    }
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
      this.#closeFd();
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

  #append(entries: readonly WalEntry[]): void {
    if (entries.length === 0) return;
    if (this.#closed) throw new Error(`WAL ${this.dir} is closed`);
    const first = entries[0]!;
    let current = this.#segments[this.#segments.length - 1];
    if (this.#fd === undefined || !current || current.bytes >= this.#segmentBytes) {
      this.#rotateOut();
      const file = join(this.dir, segmentFileName(first.seq));
      const fd = openSync(file, 'wx');
      this.#fd = fd;
      const headerFrame = encodeFrames([this.#header]);
      writeAll(fd, headerFrame);
      current = { file, firstSeq: first.seq, lastSeq: first.seq - 1, bytes: headerFrame.length };
      this.#segments.push(current);
      this.#diskBytes += headerFrame.length;
    }
    const frames = encodeFrames(entries.map((e) => e.bytes));
    writeAll(this.#fd, frames);
    current.bytes += frames.length;
    current.lastSeq = entries[entries.length - 1]!.seq;
    this.#diskBytes += frames.length;
  }

  /** A full segment is synced and closed in the background: the writes go on in the next one. */
  #rotateOut(): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) fsync(fd, () => closeFd(fd, () => undefined));
  }

  #closeFd(): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd === undefined) return;
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  async #trim(committedSeq: number, includeOpen: boolean): Promise<void> {
    while (this.#segments.length > 0) {
      const seg = this.#segments[0]!;
      const isOpen = this.#segments.length === 1 && this.#fd !== undefined;
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

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}
