import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** `run-<YYYYMMDD_HHMMSS>-<id>` (UTC), the run folder's name inside the base folder. */
export function runDirName(id: string, startTime: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const d = startTime;
  const stamp = `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}_${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
  return `run-${stamp}-${id}`;
}

/** The absolute run folder path. */
export function runDirPath(baseDir: string, id: string, startTime: Date): string {
  return resolve(baseDir, runDirName(id, startTime));
}

/**
 * Creates a fresh run folder with its `wal/` and `files/` subfolders and
 * returns its path: `dir`, or `dir-1`, `dir-2`... when a folder of that name
 * exists (the same id resumed within one second).
 */
export async function createRunDir(dir: string): Promise<string> {
  await mkdir(dirname(dir), { recursive: true });
  for (let i = 0; ; i++) {
    const candidate = i === 0 ? dir : `${dir}-${i}`;
    try {
      await mkdir(candidate);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && i < 1000) continue;
      throw err;
    }
    await mkdir(join(candidate, 'wal'));
    await mkdir(join(candidate, 'files'));
    return candidate;
  }
}

/** The file that remembers the last run id for `resume: "auto"` (W&B's `wandb-resume.json`). */
export function resumeFilePath(baseDir: string): string {
  return resolve(baseDir, 'resume.json');
}

/** The run id saved for `resume: "auto"`, if any (a malformed file counts as none). */
export async function readResumeId(baseDir: string): Promise<string | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(resumeFilePath(baseDir), 'utf8'));
    const runId = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>)['runId'] : undefined;
    return typeof runId === 'string' && runId !== '' ? runId : undefined;
  } catch {
    return undefined;
  }
}

/** Saves the run id for `resume: "auto"`. */
export async function writeResumeId(baseDir: string, runId: string): Promise<void> {
  await mkdir(resolve(baseDir), { recursive: true });
  await writeFile(resumeFilePath(baseDir), `${JSON.stringify({ runId })}\n`);
}

/** Removes the saved id (after a successful finish). */
export async function removeResumeId(baseDir: string): Promise<void> {
  await rm(resumeFilePath(baseDir), { force: true });
}
