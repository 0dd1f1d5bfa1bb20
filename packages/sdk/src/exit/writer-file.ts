import { readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** The file in a run folder naming the process that writes its WAL. */
export const WRITER_FILE = 'writer.json';

/** Records this process as the writer of the run folder's WAL. */
export async function writeWriterFile(runDir: string): Promise<void> {
  await writeFile(join(runDir, WRITER_FILE), `${JSON.stringify({ pid: process.pid, host: hostname() })}\n`);
}

/**
 * Whether the process that wrote the run folder's WAL is gone: it ran on this
 * host and no process has its pid. `false` when unknown (no file, another host).
 */
export async function writerGone(runDir: string): Promise<boolean> {
  let pid: unknown;
  let host: unknown;
  try {
    ({ pid, host } = JSON.parse(await readFile(join(runDir, WRITER_FILE), 'utf8')) as { pid?: unknown; host?: unknown });
  } catch {
    return false;
  }
  if (host !== hostname() || typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
