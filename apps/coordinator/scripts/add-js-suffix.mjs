// proto-loader-gen-types 0.7 writes relative imports without a suffix; NodeNext ESM needs `.js`.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (path.endsWith('.ts')) {
      const text = readFileSync(path, 'utf8');
      const fixed = text.replace(/(from '\.{1,2}\/[^']*?)(?<!\.js)'/g, "$1.js'");
      if (fixed !== text) writeFileSync(path, fixed);
    }
  }
}
walk(process.argv[2] ?? 'src/generated');
