import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '@cohort/protocol';
import { ERROR_STATUS } from '../src/index.js';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

describe('docs/errors.md', () => {
  it('lists every error code with the gRPC and HTTP status of the code table', () => {
    for (const code of ERROR_CODES) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
      expect(row, `docs/errors.md has no row for ${code}`).toBeDefined();
      const cells = row!.split('|').map((c) => c.trim());
      expect(cells[2], `gRPC status of ${code}`).toBe(String(ERROR_STATUS[code].grpc));
      expect(cells[3], `HTTP status of ${code}`).toBe(String(ERROR_STATUS[code].http));
    }
  });

  it('lists no code that does not exist', () => {
    const listed = [...doc.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual([...ERROR_CODES].sort());
  });
});
