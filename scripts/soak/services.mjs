// Redis and PostgreSQL for the soak, from the test harness (test/harness):
// REDIS_URL / DATABASE_URL when set, else private servers. The harness is
// TypeScript; esbuild bundles it once into node_modules/.cache so a plain
// `node` script can use it (its packages stay external, resolved from the repo).
import { mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `{ provideRedis, providePostgres, createTestDatabase }` of test/harness. */
export async function loadHarness() {
  const dir = `${ROOT}node_modules/.cache/cohort-soak`;
  mkdirSync(dir, { recursive: true });
  const outfile = `${dir}/harness.mjs`;
  await build({
    stdin: {
      contents: [
        "export { providePostgres, createTestDatabase } from './test/harness/postgres-service.ts';",
        "export { provideRedis } from './test/harness/redis-service.ts';",
      ].join('\n'),
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile,
    logLevel: 'error',
  });
  return import(`${pathToFileURL(outfile).href}?t=${Date.now()}`);
}
