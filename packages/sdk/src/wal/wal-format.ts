import { CohortError } from '@cohort/protocol';
import { crc32c } from './crc32c.js';

/**
 * The frame format of a WAL segment (docs/wal.md): each entry is
 * `[u32 LE payload length][u32 LE CRC-32C of the payload][payload]`.
 */

/** Bytes before each payload: length and checksum. */
export const FRAME_HEADER_BYTES = 8;

/** The largest payload a reader accepts; a bigger length means a corrupt frame. */
export const MAX_ENTRY_BYTES = 64 * 1024 * 1024;

/** The WAL format version written into each segment's header entry. */
export const WAL_FORMAT_VERSION = 1;

/** Segment files are named by their first record's seq, zero-padded so names sort. */
export function segmentFileName(firstSeq: number): string {
  return `${String(firstSeq).padStart(20, '0')}.wal`;
}

/** The first seq encoded in a segment file name, or `undefined` for other files. */
export function parseSegmentFileName(name: string): number | undefined {
  const m = /^(\d{20})\.wal$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** One record as the WAL and the stream carry it. */
export interface WalEntry {
  readonly seq: number;
  readonly bytes: Uint8Array;
}

/** Frames payloads into one buffer, ready for a single write. */
export function encodeFrames(payloads: readonly Uint8Array[]): Buffer {
  let total = 0;
  for (const p of payloads) total += FRAME_HEADER_BYTES + p.length;
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const p of payloads) {
    out.writeUInt32LE(p.length, offset);
    out.writeUInt32LE(crc32c(p), offset + 4);
    out.set(p, offset + FRAME_HEADER_BYTES);
    offset += FRAME_HEADER_BYTES + p.length;
  }
  return out;
}

/**
 * A WAL that is torn (a short frame at the end) or corrupt (bad checksum,
 * impossible length, undecodable or out-of-order record). Code `DATA_LOSS`;
 * `file` and `offset` point at the first bad frame: everything before it is
 * good, nothing at or after it may be trusted.
 */
export class WalCorruptionError extends CohortError {
  override name = 'WalCorruptionError';
  readonly file: string;
  readonly offset: number;

  constructor(file: string, offset: number, reason: string) {
    super('DATA_LOSS', `WAL ${file} is corrupt at byte ${offset}: ${reason}`);
    this.file = file;
    this.offset = offset;
  }
}

/** One frame read from a buffer, or why none could be. */
export type FrameRead =
  | { ok: true; payload: Uint8Array; next: number }
  | { ok: false; reason: string };

/** Reads the frame starting at `offset` of `buf`. */
export function readFrame(buf: Uint8Array, offset: number): FrameRead {
  const left = buf.length - offset;
  if (left < FRAME_HEADER_BYTES) return { ok: false, reason: `torn frame header (${left} of ${FRAME_HEADER_BYTES} bytes)` };
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const length = view.getUint32(offset, true);
  const expected = view.getUint32(offset + 4, true);
  if (length > MAX_ENTRY_BYTES) return { ok: false, reason: `frame length ${length} is over the ${MAX_ENTRY_BYTES}-byte limit` };
  if (left - FRAME_HEADER_BYTES < length) {
    return { ok: false, reason: `torn frame (${left - FRAME_HEADER_BYTES} of ${length} payload bytes)` };
  }
  const payload = buf.subarray(offset + FRAME_HEADER_BYTES, offset + FRAME_HEADER_BYTES + length);
  const actual = crc32c(payload);
  if (actual !== expected) {
    return { ok: false, reason: `CRC-32C mismatch (stored 0x${expected.toString(16)}, computed 0x${actual.toString(16)})` };
  }
  return { ok: true, payload, next: offset + FRAME_HEADER_BYTES + length };
}
