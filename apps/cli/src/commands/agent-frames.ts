import { CohortError, parseJson, stringifyJson } from '@cohort/protocol';

/**
 * The agent channel's framing (docs/python.md, "The agent channel"): each frame
 * is a 4-byte big-endian length, then that many bytes of UTF-8 JSON, with
 * NaN and ±Infinity tagged as `{"$cohort":"NaN"}` (the protocol's `parseJson`).
 */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Splits a byte stream into frames; bounded by {@link MAX_FRAME_BYTES}. */
export class FrameReader {
  #chunks: Buffer[] = [];
  #buffered = 0;

  /** Adds bytes and returns the complete frames they finish, parsed. Throws on an oversized frame or bad JSON. */
  push(chunk: Buffer): unknown[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const frames: unknown[] = [];
    if (this.#buffered < 4) return frames;
    let buf = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#buffered);
    let offset = 0;
    while (buf.length - offset >= 4) {
      const length = buf.readUInt32BE(offset);
      if (length > MAX_FRAME_BYTES) {
        throw new CohortError('INVALID_ARGUMENT', `agent channel: a frame of ${length} bytes is over the ${MAX_FRAME_BYTES}-byte limit`);
      }
      if (buf.length - offset - 4 < length) break;
      const text = buf.toString('utf8', offset + 4, offset + 4 + length);
      offset += 4 + length;
      frames.push(parseJson(text));
    }
    buf = offset === buf.length ? Buffer.alloc(0) : buf.subarray(offset);
    this.#chunks = buf.length === 0 ? [] : [buf];
    this.#buffered = buf.length;
    return frames;
  }

  /** Bytes of an unfinished frame (non-zero at end of stream means the client died mid-write). */
  get pendingBytes(): number {
    return this.#buffered;
  }
}

/** One frame: the length prefix and the JSON text of `value`. */
export function encodeFrame(value: unknown): Buffer {
  const body = Buffer.from(stringifyJson(value), 'utf8');
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}
