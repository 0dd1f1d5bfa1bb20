// Writes docs/openapi.json from the zod schemas of the HTTP API
// (packages/protocol/src/http/) and the route table of
// apps/coordinator/src/http-schemas.ts. Run after `npm run build`;
// apps/coordinator/test/openapi.test.ts fails when the file is stale.
import { writeFileSync } from 'node:fs';
import { openApiDocument } from '@cohort/coordinator';

const out = new URL('../docs/openapi.json', import.meta.url);
writeFileSync(out, `${JSON.stringify(openApiDocument('0.1.0'), null, 2)}\n`);
console.log(`wrote ${out.pathname}`);
