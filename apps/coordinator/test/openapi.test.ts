import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../src/index.js';

describe('docs/openapi.json', () => {
  it('is the document the zod schemas generate (run `node scripts/openapi.mjs` after a change)', () => {
    const file = JSON.parse(readFileSync(new URL('../../../docs/openapi.json', import.meta.url), 'utf8')) as unknown;
    expect(file).toEqual(JSON.parse(JSON.stringify(openApiDocument('0.1.0'))));
  });
});
