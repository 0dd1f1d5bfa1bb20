import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The absolute path of an executable on `path` (a PATH string), or undefined. */
export function which(name: string, path: string = process.env.PATH ?? ''): string | undefined {
  const dirs = path.split(delimiter);
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
