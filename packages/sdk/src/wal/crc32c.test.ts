import { describe, expect, it } from 'vitest';
import { crc32c } from './crc32c.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('crc32c', () => {
  it('matches the check value of "123456789"', () => {
    expect(crc32c(bytes('123456789'))).toBe(0xe3069283);
  });

  it('matches the RFC 3720 (iSCSI) test vectors', () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });

  it('gives 0 for no bytes', () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('continues a checksum across chunks of any alignment', () => {
    const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff);
    const whole = crc32c(data);
    for (const cut of [0, 1, 3, 8, 13, 999, 1000]) {
      expect(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut)))).toBe(whole);
    }
  });

  it('agrees with a bitwise reference on random inputs', () => {
    const reference = (b: Uint8Array): number => {
      let c = 0xffffffff;
      for (const x of b) {
        c ^= x;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      }
      return ~c >>> 0;
    };
    let seed = 42;
    for (let n = 0; n < 50; n++) {
      const b = Uint8Array.from({ length: n * 3 + 1 }, () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff);
      expect(crc32c(b)).toBe(reference(b));
    }
  });
});
