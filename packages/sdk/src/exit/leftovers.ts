import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '../logger.js';
import { syncRunDir } from '../sync.js';
import { listSegments } from '../wal/wal-reader.js';
import { writerGone } from './writer-file.js';

/** Where leftovers go: the server the run is opened on. */
export interface LeftoverTarget {
  readonly url: string;
  readonly apiKey: string | undefined;
}

/**
 * Uploads what earlier processes of run `id` left in `baseDir`'s run folders
 * (a `kill -9`, an uploader that gave up) before the run is opened again, so
 * the resumed run continues after every record they logged (docs/sdk.md, how
 * a run ends). Only folders whose writer is gone; never throws: what cannot be
 * uploaded stays for `cohort sync`, with a warning.
 */
export async function uploadLeftovers(baseDir: string, id: string, target: LeftoverTarget, timeoutMs: number, logger: Logger): Promise<void> {
  const base = resolve(baseDir);
  let names: string[];
  try {
    names = await readdir(base);
  } catch {
    return;
  }
  const pattern = new RegExp(`^run-\\d{8}_\\d{6}-${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:-\\d+)?$`);
  for (const name of names.filter((n) => pattern.test(n)).sort()) {
    const dir = join(base, name);
    if ((await listSegments(join(dir, 'wal')).catch(() => [])).length === 0 || !(await writerGone(dir))) continue;
    const [result] = await syncRunDir(dir, { url: target.url, ...(target.apiKey !== undefined && { apiKey: target.apiKey }), timeoutMs: Math.max(1000, timeoutMs) }).catch((err: unknown) => [
      { error: (err as Error).message },
    ]);
    if (result?.error !== undefined) {
      logger.warn(`The records an earlier process of run ${id} left in ${dir} could not be uploaded (${result.error}); they stay there for \`cohort sync ${dir}\`.`);
    }
  }
}
