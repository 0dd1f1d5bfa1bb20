import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeRecord, decodeWalHeader, type WalHeaderMessage } from '@cohort/protocol';
import { parseSegmentFileName, readFrame, WalCorruptionError, type WalEntry } from './wal-format.js';

/** What one segment file holds, up to its first bad frame. */
export interface WalSegmentScan {
  readonly file: string;
  readonly firstSeq: number;
  readonly header: WalHeaderMessage | undefined;
  readonly entries: WalEntry[];
  /** Set when the segment is torn or corrupt; `entries` stop before the bad frame. */
  readonly corruption: WalCorruptionError | undefined;
}

/** The segment files of a WAL folder, in seq order (empty when the folder is absent). */
export async function listSegments(walDir: string): Promise<Array<{ file: string; firstSeq: number }>> {
  let names: string[];
  try {
    names = await readdir(walDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: Array<{ file: string; firstSeq: number }> = [];
  for (const name of names) {
    const firstSeq = parseSegmentFileName(name);
    if (firstSeq !== undefined) out.push({ file: join(walDir, name), firstSeq });
  }
  return out.sort((a, b) => a.firstSeq - b.firstSeq);
}

/**
 * Reads one segment: its header entry, then records, checking each frame's
 * length and CRC-32C, that each record decodes and that seqs run without gaps
 * from the seq in the file name. Never throws for bad content: it returns the
 * good prefix and the corruption.
 */
export async function scanSegment(file: string, firstSeq: number): Promise<WalSegmentScan> {
  const buf = await readFile(file);
  const entries: WalEntry[] = [];
  const first = readFrame(buf, 0);
  if (!first.ok) {
    return { file, firstSeq, header: undefined, entries, corruption: new WalCorruptionError(file, 0, `header entry: ${first.reason}`) };
  }
  let header: WalHeaderMessage;
  try {
    header = decodeWalHeader(first.payload);
  } catch (err) {
    return { file, firstSeq, header: undefined, entries, corruption: new WalCorruptionError(file, 0, (err as Error).message) };
  }
  let offset = first.next;
  let expectedSeq = firstSeq;
  while (offset < buf.length) {
    const frame = readFrame(buf, offset);
    if (!frame.ok) return { file, firstSeq, header, entries, corruption: new WalCorruptionError(file, offset, frame.reason) };
    let seq: number;
    try {
      seq = decodeRecord(frame.payload).seq;
    } catch (err) {
      return { file, firstSeq, header, entries, corruption: new WalCorruptionError(file, offset, (err as Error).message) };
    }
    if (seq !== expectedSeq) {
      return { file, firstSeq, header, entries, corruption: new WalCorruptionError(file, offset, `expected seq ${expectedSeq}, found ${seq}`) };
    }
    // Copy out of the file buffer so a kept entry does not pin the whole segment.
    entries.push({ seq, bytes: Uint8Array.prototype.slice.call(frame.payload) });
    expectedSeq++;
    offset = frame.next;
  }
  return { file, firstSeq, header, entries, corruption: undefined };
}

/**
 * Reads a WAL folder segment by segment, in seq order. Stops after the first
 * segment that reports corruption (nothing after a bad frame is trusted), and
 * reports a gap between segments as corruption too.
 *
 * @example
 * for await (const seg of readWal(`${runDir}/wal`)) {
 *   if (seg.corruption) throw seg.corruption;
 *   for (const e of seg.entries) send(e.bytes);
 * }
 */
export async function* readWal(walDir: string): AsyncGenerator<WalSegmentScan> {
  let nextSeq: number | undefined;
  for (const { file, firstSeq } of await listSegments(walDir)) {
    if (nextSeq !== undefined && firstSeq !== nextSeq) {
      yield {
        file,
        firstSeq,
        header: undefined,
        entries: [],
        corruption: new WalCorruptionError(file, 0, `segment starts at seq ${firstSeq}, expected ${nextSeq} (a segment is missing)`),
      };
      return;
    }
    const scan = await scanSegment(file, firstSeq);
    yield scan;
    if (scan.corruption) return;
    nextSeq = firstSeq + scan.entries.length;
  }
}
