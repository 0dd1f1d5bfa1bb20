import { CohortError, parseJson, stringifyJson } from '@cohort/protocol';

/**
 * The agent channel's framing (docs/python.md, "The agent channel"): each frame
 * is a 4-byte big-endian length, then that many bytes of UTF-8 JSON, with
 * NaN and ±Infinity tagged as `{"$cohort":"NaN"}` (the protocol's `parseJson`).
 */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Splits a byte stream into frames; bounded by {@link MAX_FRAME_BYTES}. Bytes are joined once per complete frame. */
export class FrameReader {
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** The length of the frame being read, once its header is in. */
  #need: number | undefined;

  /** Adds bytes and returns the complete frames they finish, parsed. Throws on an oversized frame or bad JSON. */
  push(chunk: Buffer): unknown[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const frames: unknown[] = [];
    for (;;) {
      if (this.#need === undefined) {
        if (this.#buffered < 4) return frames;
        const length = this.#take(4).readUInt32BE(0);
        if (length > MAX_FRAME_BYTES) {
          throw new CohortError('INVALID_ARGUMENT', `agent channel: a frame of ${length} bytes is over the ${MAX_FRAME_BYTES}-byte limit`);
        }
        this.#need = length;
      }
      if (this.#buffered < this.#need) return frames;
      const body = this.#take(this.#need);
      this.#need = undefined;
      frames.push(parseJson(body.toString('utf8')));
    }
  }

  /** Removes and returns the first `n` buffered bytes. */
  #take(n: number): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#buffered);
    const rest = all.subarray(n);
    this.#chunks = rest.length === 0 ? [] : [rest];
    this.#buffered = rest.length;
    return all.subarray(0, n);
  }

  /** Bytes of an unfinished frame (non-zero at end of stream means the client died mid-write). */
  get pendingBytes(): number {
    return this.#buffered + (this.#need === undefined ? 0 : 4);
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
