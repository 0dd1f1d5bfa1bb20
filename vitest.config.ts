import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Workspace packages resolve to their TypeScript source in tests.
    conditions: ['@cohort/source'],
  },
  // Tests run in the server (SSR) environment, which has conditions of its own. Not `module`, which
  // Node never uses: it picks bundler builds (the AWS SDK's dist-es, with extensionless imports) Node cannot load.
  ssr: { resolve: { conditions: ['@cohort/source', ...defaultServerConditions.filter((c) => c !== 'module')] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['./test/global-setup.ts'],
    pool: 'forks',
  },
});
