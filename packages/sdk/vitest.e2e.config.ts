import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Runs the SDK's end-to-end tests (test/e2e/sdk-*.test.ts) against a real
// coordinator: `npx vitest run -c packages/sdk/vitest.e2e.config.ts`.
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  resolve: { conditions: ['@cohort/source'] },
  test: {
    include: ['test/e2e/sdk-*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
