import { describe, expect, it, vi } from 'vitest';
import { encodeFrame, FrameReader, MAX_FRAME_BYTES } from './agent-frames.js';

describe('the agent channel framing', () => {
  it('reads frames split anywhere, several per chunk, with NaN and Infinity kept', () => {
    const frames = [['log', 0, [[], []]], ['step', 7, { a: NaN, b: -Infinity }], ['x', 1, 'é'.repeat(1000)]];
    const bytes = Buffer.concat(frames.map((f) => encodeFrame(f)));
    for (const size of [1, 3, 4, 5, 17, 1024, bytes.length]) {
      const reader = new FrameReader();
      const got: unknown[] = [];
      for (let i = 0; i < bytes.length; i += size) got.push(...reader.push(bytes.subarray(i, i + size)));
      expect(got).toEqual(frames);
      expect(reader.pendingBytes).toBe(0);
    }
  });

  it('joins the chunks of a large frame once, not once per chunk', () => {
    const big = ['log', 0, Array.from({ length: 50_000 }, (_, i) => [0, null, null, i, i / 3])];
    const bytes = encodeFrame(big);
    const reader = new FrameReader();
    const concat = vi.spyOn(Buffer, 'concat');
    try {
      const got: unknown[] = [];
      for (let i = 0; i < bytes.length; i += 1024) got.push(...reader.push(bytes.subarray(i, i + 1024)));
      expect(got).toEqual([big]);
      // ~1,700 chunks: joining the buffered ones on each chunk would copy about 1.5 GB.
      expect(concat.mock.calls.length).toBeLessThanOrEqual(2);
    } finally {
      concat.mockRestore();
    }
  });

  it('counts the bytes of a frame cut short', () => {
    const reader = new FrameReader();
    const bytes = encodeFrame(['step', 1, {}]);
    expect(reader.push(bytes.subarray(0, bytes.length - 2))).toEqual([]);
    expect(reader.pendingBytes).toBe(bytes.length - 2);
  });

  it('refuses a frame over the limit, naming it', () => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
    expect(() => new FrameReader().push(header)).toThrow(/over the 67108864-byte limit/);
  });

  it('refuses a frame that is not JSON', () => {
    const body = Buffer.from('{nope');
    const header = Buffer.alloc(4);
    header.writeUInt32BE(body.length, 0);
    expect(() => new FrameReader().push(Buffer.concat([header, body]))).toThrow(SyntaxError);
  });
});
