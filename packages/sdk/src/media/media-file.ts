import { createHash } from 'node:crypto';

/**
 * Media log as a small JSON descriptor plus a file (W&B's `media/images/...`):
 * the file goes into the run's files under `media/<folder>/`, named by its
 * sha256 (the same image logged twice is one file), and the descriptor names
 * it. `run.log` collects the files of the descriptors it makes and hands them
 * to the run's media uploader (files/media-uploader.ts).
 */

/** A media file of one `run.log` call: its path in the run's files, bytes and sha256. */
export interface MediaFile {
  readonly path: string;
  readonly bytes: Uint8Array;
  readonly sha256: string;
}

/** What every file-backed descriptor carries. */
export interface MediaFileFields {
  /** The file's path in the run's files (`media/images/<sha256 prefix>.png`). */
  path: string;
  sha256: string;
  /** Bytes of the file. */
  size: number;
}

let collecting = false;
/** The files of the innermost collection; allocated by the first media file, so a row of numbers allocates nothing. */
let collected: MediaFile[] | undefined;
const NONE: readonly MediaFile[] = Object.freeze([]);

/**
 * Runs `fn` (which turns media into descriptors, e.g. `normalizeLogData`) and
 * returns its value with the files those descriptors name. Synchronous, so
 * calls never interleave; a nested call collects into its own list.
 */
export function collectMediaFiles<T>(fn: () => T): { value: T; files: readonly MediaFile[] } {
  const outerCollecting = collecting;
  const outer = collected;
  collecting = true;
  collected = undefined;
  try {
    const value = fn();
    return { value, files: collected ?? NONE };
  } finally {
    collecting = outerCollecting;
    collected = outer;
  }
}

/**
 * The descriptor fields of `bytes` stored as `media/<folder>/<sha256 prefix>.<extension>`;
 * inside {@link collectMediaFiles}, the file is added to its list.
 */
export function mediaFile(folder: string, extension: string, bytes: Uint8Array): MediaFileFields {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const path = `media/${folder}/${sha256.slice(0, 20)}.${extension}`;
  if (collecting) (collected ??= []).push({ path, bytes, sha256 });
  return { path, sha256, size: bytes.length };
}
