/**
 * The uploader: `node uploader.js RUN_DIR`, started detached by the exit path
 * (`spawnUploader`) when a process ends with records its server has not
 * committed (docs/sdk.md, how a run ends). It uploads the run folder's WAL
 * with `syncRunDir` (the server ignores what it already applied), trying again
 * while the server is away for up to `COHORT_UPLOADER_MAX_SECONDS` (default
 * 3600), then leaves the WAL for `cohort sync`. One uploader per folder (the
 * `uploader.lock` file); what it did goes to `uploader.log` in the folder.
 */
import { appendFileSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { syncRunDir } from '../sync.js';

const RETRYABLE = /UNAVAILABLE|DEADLINE_EXCEEDED|Cannot reach|ECONNREFUSED|did not commit/;

async function main(): Promise<number> {
  const runDir = process.argv[2];
  if (runDir === undefined) {
    process.stderr.write('usage: uploader.js RUN_DIR\n');
    return 2;
  }
  const maxSeconds = Number(process.env['COHORT_UPLOADER_MAX_SECONDS'] ?? 3600);
  const deadline = Date.now() + (Number.isFinite(maxSeconds) && maxSeconds > 0 ? maxSeconds : 3600) * 1000;
  const log = (line: string): void => {
    try {
      appendFileSync(join(runDir, 'uploader.log'), `${new Date().toISOString()} ${line}\n`);
    } catch {
      // The folder went away: nothing left to report to.
    }
  };
  if (!lock(runDir)) {
    log('another uploader holds this folder; leaving it to that one');
    return 0;
  }
  try {
    let delay = 500;
    for (;;) {
      const [result] = await syncRunDir(runDir, { timeoutMs: Math.max(1000, Math.min(600_000, deadline - Date.now())) }).catch((err: unknown) => [
        { runDir, runId: '', records: 0, outcome: 'failed' as const, error: (err as Error).message },
      ]);
      if (!result) {
        log('no WAL in this folder: nothing to upload');
        return 0;
      }
      if (result.error === undefined) {
        log(`uploaded ${result.records} records of run ${result.runId} (${result.outcome})`);
        return 0;
      }
      if (!RETRYABLE.test(result.error) || Date.now() + delay > deadline) {
        log(`gave up after ${result.records} records: ${result.error}; the rest stays in the WAL for \`cohort sync ${runDir}\``);
        return 1;
      }
      log(`the server is away (${result.error}); trying again in ${delay} ms`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(30_000, delay * 2);
    }
  } finally {
    unlock(runDir);
  }
}

/** Takes `uploader.lock` (holding this pid); a lock whose process is gone is taken over. */
function lock(runDir: string): boolean {
  const file = join(runDir, 'uploader.lock');
  for (let i = 0; i < 2; i++) {
    try {
      const fd = openSync(file, 'wx');
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return false;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) return false;
      rmSync(file, { force: true });
    }
  }
  return false;
}

function unlock(runDir: string): void {
  rmSync(join(runDir, 'uploader.lock'), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

process.exitCode = await main();
