import fc from 'fast-check';

/**
 * Arbitraries of hostile values shared by the fuzzers: strings and numbers
 * that sit on or past every bound, and JSON texts that are malformed or nest
 * too deep. None is large enough to slow a run past a few milliseconds.
 */

/** Strings on the edges: empty, traversal, control and bidi characters, lone surrogates, reserved keys, long. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 24 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '.',
      '..',
      '../../etc/passwd',
      '..\\..\\cohort.db',
      '/',
      'a/../../b',
      '%2e%2e%2f',
      'a\0b',
      '\u202e',
      '\ud800',
      '\udfff',
      '\uffff',
      '_step',
      '_runtime',
      'a..b',
      '.a',
      'a.',
      '\\',
      'a\\.b.c',
      'seed-a',
      'fuzz',
      'local',
      'latest',
      'v999999999999999999999',
      '${process.exit()}',
      "'; DROP TABLE runs; --",
      'NaN',
      '-1',
      '1e309',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(513, 1025, 70_000).map((n) => 'k'.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 17, max: 40 }).map((n) => Array.from({ length: n }, (_, i) => `s${i}`).join('.')) },
);

/** Doubles on the edges (NaN, ±Infinity, -0, huge, tiny, fractional, negative). */
export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, -1, 0.5, 2 ** 53, 2 ** 64, -(2 ** 63), 1e308, 5e-324),
  fc.integer(),
);

/** Unsigned 64-bit values as proto-loader takes them (decimal strings), including the extremes. */
export const hostileUint64: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('0', '1', '9007199254740993', '18446744073709551615', '4294967296'),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
);

/** JSON texts that are malformed, not objects, or nest deeper than any limit. */
export const hostileJson: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', '{', '}', '[]', 'null', '1', '"s"', '{"a":}', '{"$cohort":"bogus"}', '{"__proto__":{"x":1}}', '{"a":1,"a":2}', 'NaN'),
  fc.constantFrom(17, 100, 5_000).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
  fc.constantFrom(17, 100_000).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.json({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

/** Bytes that are not valid UTF-8 (lone continuation bytes, overlongs, surrogates, truncated sequences). */
export const badUtf8: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.constantFrom([0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]).map((b) => Uint8Array.from(b)),
  fc.uint8Array({ minLength: 1, maxLength: 16 }).map((b) => Uint8Array.from([0xfe, ...b])),
);

/** A lowercase hex sha256 that no stored blob has (fast-check draws it; the seed blob is 'seed weights\n'). */
export const unknownDigest: fc.Arbitrary<string> = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
