import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A run folder to upload after the process is gone, and the server it goes to. */
export interface UploadTarget {
  readonly runDir: string;
  readonly url: string;
  readonly apiKey: string | undefined;
  readonly tlsCa: string | undefined;
}

/**
 * Starts the uploader (`uploader.js`, docs/sdk.md) as a detached process that
 * outlives this one: it uploads what the run folder's WAL holds that the
 * server has not committed. Synchronous, so it can run in an `exit` hook;
 * never throws (the WAL stays for `cohort sync` when it cannot start).
 */
export function spawnUploader(target: UploadTarget): void {
  const env: NodeJS.ProcessEnv = { ...process.env, COHORT_URL: target.url };
  if (target.apiKey !== undefined) env['COHORT_API_KEY'] = target.apiKey;
  if (target.tlsCa !== undefined) env['COHORT_TLS_CA'] = target.tlsCa;
  try {
    const child = spawn(process.execPath, [uploaderScript(), target.runDir], { detached: true, stdio: 'ignore', env });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // Nothing to do at exit: the records stay in the WAL.
  }
}

/** The built uploader script beside this module (from the sources in tests: the package's `dist`). */
export function uploaderScript(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return join(dirname(here), '..', '..', 'dist', 'exit', 'uploader.js');
  return join(dirname(here), 'uploader.js');
}
