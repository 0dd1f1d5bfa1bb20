#!/usr/bin/env node
// The `cohort` command. A committed launcher rather than dist/main.js itself, so
// that `npm ci` on a fresh clone can link `node_modules/.bin/cohort` before
// anything is built; it runs the built CLI, or says how to build it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/main.js', import.meta.url);
const unbuilt = (what) => {
  process.stderr.write(`cohort: ${what} is not built: run \`npm run build\` in the Cohort repository first\n`);
  process.exit(1);
};
if (!existsSync(main)) unbuilt(fileURLToPath(main));
try {
  await import(main.href);
} catch (err) {
  // A workspace package the CLI imports has no dist/ yet (a partial build).
  const missing = err?.code === 'ERR_MODULE_NOT_FOUND' && /\/(?:packages|apps)\/[^/]+\/dist\//.exec(String(err.message));
  if (!missing) throw err;
  unbuilt(missing[0].slice(1, -'/dist/'.length));
}
