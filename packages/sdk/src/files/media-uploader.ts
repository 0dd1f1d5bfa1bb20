import { mkdir, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { CohortError } from '@cohort/protocol';
import type { Logger } from '../logger.js';
import type { MediaFile } from '../media/media-file.js';
import { hashFile, type AssetClient, type WireRunRef } from '../transport/asset-client.js';

/** Where an online run's media go: the asset client and the run. */
export interface MediaTarget {
  readonly client: AssetClient;
  readonly run: WireRunRef;
}

/** Options of {@link MediaUploader}. */
export interface MediaUploaderOptions {
  /** The run's files folder (`<run dir>/files`); media go under its `media/`. */
  readonly filesDir: string;
  /** Online: where to upload. Absent (offline): files stay beside the WAL for `cohort sync`. */
  readonly target?: MediaTarget;
  readonly logger: Logger;
  /** Media bytes logged but not yet on disk; more is RESOURCE_EXHAUSTED on `log()`. @defaultValue 256 MiB */
  readonly maxPendingBytes?: number;
}

/** A media file on disk, ready to upload. */
interface LocalMedia {
  readonly localPath: string;
  readonly path: string;
  readonly digest: string;
  readonly size: number;
}

/** Files waiting for an upload retry; past it they wait on disk for `cohort sync`. */
const MAX_UNSENT = 100_000;
/** Paths remembered as handled, to skip re-logged media (an optimization: the server dedups too). */
const MAX_KNOWN = 100_000;

/**
 * The media files of a run (media/media-file.ts), off the caller's turn:
 * `add()` only queues; a background pass writes each file into the run's
 * files folder (beside the WAL), then, online, uploads the blobs the server
 * lacks (ask first, chunked gRPC) and records them as run files.
 *
 * Records do not wait for their media: a row that names an image is sent and
 * committed at once, and the image's blob follows. Metrics never queue behind
 * a large video, `log()` never blocks, and the file is on disk first, so a
 * failed upload is retried at `flush()`/`finish()` or by `cohort sync`. Until
 * it lands, the dashboard shows the media as not yet uploaded.
 */
export class MediaUploader {
  readonly #o: MediaUploaderOptions;
  readonly #maxPending: number;
  #pending: MediaFile[] = [];
  #pendingBytes = 0;
  #unsent: LocalMedia[] = [];
  #known = new Set<string>();
  #work: Promise<void> | undefined;
  #warned = false;

  constructor(options: MediaUploaderOptions) {
    this.#o = options;
    this.#maxPending = options.maxPendingBytes ?? 256 * 1024 * 1024;
  }

  /** Queues the files of one `log()` call (no I/O here). Over the bound: `CohortError` RESOURCE_EXHAUSTED. */
  add(files: readonly MediaFile[]): void {
    let bytes = 0;
    for (const f of files) bytes += f.bytes.length;
    if (this.#pendingBytes + bytes > this.#maxPending && this.#pendingBytes > 0) {
      throw new CohortError(
        'RESOURCE_EXHAUSTED',
        `Expected logged media waiting for the disk to stay within ${this.#maxPending} bytes, got ${this.#pendingBytes + bytes}; the disk is not keeping up`,
      );
    }
    for (const f of files) {
      if (this.#known.has(f.path)) continue;
      this.#remember(f.path);
      this.#pending.push(f);
      this.#pendingBytes += f.bytes.length;
    }
    this.#work ??= this.#drain();
  }

  /** Resolves once every queued file is on disk and (online) uploaded; retries earlier failed uploads. Never rejects: failures are logged. */
  async flush(): Promise<void> {
    while (this.#work) await this.#work;
    if (this.#unsent.length > 0) {
      this.#work = this.#drain();
      await this.#work;
    }
  }

  async #drain(): Promise<void> {
    // Never finish synchronously: `#work` must be assigned before the pass clears it.
    await undefined;
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending;
        this.#pending = [];
        for (const f of batch) {
          const local = await this.#write(f);
          this.#pendingBytes -= f.bytes.length;
          if (local && this.#o.target) this.#unsent.push(local);
        }
      }
      const target = this.#o.target;
      if (target && this.#unsent.length > 0) {
        const files = this.#unsent;
        this.#unsent = [];
        try {
          await uploadMedia(target, files);
        } catch (err) {
          this.#unsent = files.concat(this.#unsent).slice(0, MAX_UNSENT);
          this.#warn(`uploading ${files.length} media file(s) failed (${(err as Error).message}); they wait in ${this.#o.filesDir} for a retry at flush or \`cohort sync\``);
        }
      }
    } finally {
      this.#work = undefined;
    }
  }

  /** Writes one file (through a temporary name); undefined when it could not be written. */
  async #write(f: MediaFile): Promise<LocalMedia | undefined> {
    const localPath = join(this.#o.filesDir, ...f.path.split('/'));
    const local = { localPath, path: f.path, digest: f.sha256, size: f.bytes.length };
    try {
      const existing = await stat(localPath).catch(() => undefined);
      if (existing?.size === f.bytes.length) return local;
      await mkdir(dirname(localPath), { recursive: true });
      const tmp = `${localPath}.cohort-part`;
      await writeFile(tmp, f.bytes);
      await rename(tmp, localPath);
      return local;
    } catch (err) {
      this.#known.delete(f.path);
      this.#warn(`writing media file ${localPath} failed (${(err as Error).message}); it is not stored`);
      return undefined;
    }
  }

  #remember(path: string): void {
    if (this.#known.size >= MAX_KNOWN) this.#known.clear();
    this.#known.add(path);
  }

  #warn(message: string): void {
    if (this.#warned) this.#o.logger.debug(message);
    else this.#o.logger.warn(message);
    this.#warned = true;
  }
}

/** Uploads the blobs the server lacks and records the files as the run's. */
async function uploadMedia(target: MediaTarget, files: readonly LocalMedia[]): Promise<void> {
  await target.client.uploadMissing(files);
  await target.client.putRunFiles(target.run, files.map((f) => ({ path: f.path, digest: f.digest, size: f.size, ref: '' })));
}

/**
 * `cohort sync`'s half of files: uploads every file under `<filesDir>/media`
 * (the media an offline run, or an online run whose upload failed, left
 * beside its WAL), or with `all` every file of the folder (an offline run's
 * media and the copies of its `save` calls). Returns how many files it found.
 */
export async function syncFilesDir(target: MediaTarget, filesDir: string, which: 'media' | 'all'): Promise<number> {
  const root = which === 'all' ? filesDir : join(filesDir, 'media');
  const files: LocalMedia[] = [];
  for (const localPath of await listFiles(root)) {
    if (localPath.endsWith('.cohort-part')) continue;
    const { digest, size } = await hashFile(localPath);
    files.push({ localPath, path: relative(filesDir, localPath).split(sep).join('/'), digest, size });
  }
  for (let i = 0; i < files.length; i += 1000) await uploadMedia(target, files.slice(i, i + 1000));
  return files.length;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}
