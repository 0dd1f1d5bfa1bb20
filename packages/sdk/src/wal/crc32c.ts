/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of each
 * WAL frame (docs/wal.md). Slicing-by-8: eight 256-entry tables let the loop
 * consume 8 bytes per step, which keeps checksumming far below disk speed.
 */

const POLY = 0x82f63b78;

const TABLES: Uint32Array[] = (() => {
  const tables: Uint32Array[] = [];
  const t0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[n] = c >>> 0;
  }
  tables.push(t0);
  for (let t = 1; t < 8; t++) {
    const prev = tables[t - 1]!;
    const next = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      const p = prev[n]!;
      next[n] = (p >>> 8) ^ t0[p & 0xff]!;
    }
    tables.push(next);
  }
  return tables;
})();

const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES as [
  Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array,
];

/**
 * The CRC-32C of `bytes`, continuing from `previous` (0 to start).
 *
 * @example
 * crc32c(new TextEncoder().encode('123456789')); // 0xe3069283
 */
export function crc32c(bytes: Uint8Array, previous = 0): number {
  let crc = ~previous >>> 0;
  let i = 0;
  const n = bytes.length;
  const end8 = n - (n % 8);
  while (i < end8) {
    const lo = (crc ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0;
    crc =
      T7[lo & 0xff]! ^
      T6[(lo >>> 8) & 0xff]! ^
      T5[(lo >>> 16) & 0xff]! ^
      T4[lo >>> 24]! ^
      T3[bytes[i + 4]!]! ^
      T2[bytes[i + 5]!]! ^
      T1[bytes[i + 6]!]! ^
      T0[bytes[i + 7]!]!;
    i += 8;
  }
  while (i < n) crc = (crc >>> 8) ^ T0[(crc ^ bytes[i++]!) & 0xff]!;
  return ~crc >>> 0;
}
