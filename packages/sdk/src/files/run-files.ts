import { copyFile, mkdir, rm, stat, symlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CohortError, UsageError, checkFilePath, invalidArgument } from '@cohort/protocol';
import type { Logger } from '../logger.js';
import { hashFile, type AssetClient, type WireRunRef } from '../transport/asset-client.js';
import { globFiles } from './glob-match.js';

/** When `save` uploads: `live` (now, on every change, and at the end), `now`, `end`. */
export type SavePolicy = 'live' | 'now' | 'end';

/** Options of `run.save`. */
export interface SaveOptions {
  /** The folder the glob is relative to. @defaultValue `.` for a relative glob, the grandparent for an absolute one */
  readonly basePath?: string;
  /** @defaultValue `live` */
  readonly policy?: SavePolicy;
}

/** Options of `run.restore`. */
export interface RestoreOptions {
  /** Another run's files: `entity/project/id` or `project/id`. @defaultValue this run */
  readonly runPath?: string;
  /** Overwrite a local file that exists. @defaultValue false */
  readonly replace?: boolean;
  /** Where to put it. @defaultValue the run's files folder */
  readonly root?: string;
}

/** One `save` call: the files its glob matched when it was called. */
interface Watched {
  base: string;
  paths: readonly string[];
  policy: SavePolicy;
}

/** Most globs one run watches. */
const MAX_WATCHED = 256;

/**
 * `run.save` and `run.restore` (docs/run-semantics.md §9). The glob is
 * expanded when `save` is called (W&B): files created later are not picked
 * up. Saved files are linked into the run's files folder
 * (`<run dir>/files/<path>`) and uploaded as blobs (skipping those the server
 * has) with their paths recorded for the run. The files of `live` saves are
 * polled (every `liveIntervalMs`) and one whose size or mtime changed is
 * uploaded again. Offline (no client) the files are copied into the files
 * folder (again at the end for `live` and `end`) and `cohort sync` uploads them.
 */
export class RunFiles {
  readonly #client: AssetClient | undefined;
  readonly #run: WireRunRef;
  readonly #filesDir: string;
  readonly #logger: Logger;
  readonly #watched: Watched[] = [];
  readonly #uploaded = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  readonly #liveIntervalMs: number;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(options: { client: AssetClient | undefined; run: WireRunRef; runDir: string; logger: Logger; liveIntervalMs?: number }) {
    this.#client = options.client;
    this.#run = options.run;
    this.#filesDir = join(options.runDir, 'files');
    this.#logger = options.logger;
    this.#liveIntervalMs = options.liveIntervalMs ?? 2000;
  }

  /** The run's files folder. */
  get filesDir(): string {
    return this.#filesDir;
  }

  /** `run.save`: returns the sorted paths in the run's files folder. */
  async save(globStr: string, options: SaveOptions = {}): Promise<string[]> {
    if (typeof globStr !== 'string' || globStr === '') throw invalidArgument('Expected `glob` to be a non-empty string');
    const policy = options.policy ?? 'live';
    if (policy !== 'live' && policy !== 'now' && policy !== 'end') throw invalidArgument(`Expected \`policy\` to be "live", "now" or "end", got ${JSON.stringify(policy)}`);
    if (/^(s3|gs):\/\//.test(globStr)) {
      this.#logger.warn(`save: ${globStr} is a cloud path; nothing saved`);
      return [];
    }
    if (globStr.includes('\0')) throw invalidArgument('Expected `glob` to contain no NUL');
    const base = resolve(options.basePath ?? (isAbsolute(globStr) ? dirname(dirname(globStr)) : '.'));
    const absGlob = resolve(base, globStr);
    const rel = relative(base, absGlob).split(sep).join('/');
    if (rel === '') throw invalidArgument(`save: the glob ${JSON.stringify(globStr)} equals the base path ${JSON.stringify(base)}`);
    if (rel === '..' || rel.startsWith('../') || isAbsolute(rel)) throw invalidArgument(`save: the glob ${JSON.stringify(globStr)} walks above the base path ${JSON.stringify(base)}`);
    if (rel.startsWith('*')) throw invalidArgument(`save: the glob ${JSON.stringify(globStr)} starts with "*" relative to the base path ${JSON.stringify(base)}; give a basePath above it`);
    checkFilePath(rel.replace(/[*?[\]]/g, 'x'), 'glob');
    const matched = globFiles(base, rel);
    const out = matched.map((p) => join(this.#filesDir, ...p.split('/')));
    if (this.#watched.length >= MAX_WATCHED) throw new CohortError('RESOURCE_EXHAUSTED', `save: at most ${MAX_WATCHED} save calls per run`);
    this.#watched.push({ base, paths: matched, policy });
    for (const p of matched) await this.#link(base, p);
    if (this.#client === undefined) return out.sort();
    if (policy !== 'end') await this.#enqueue(() => this.#upload(base, matched, false));
    if (policy === 'live') this.#startPolling();
    return out.sort();
  }

  /** `run.restore`: downloads one file; `undefined` when the run has none by that name. */
  async restore(name: string, options: RestoreOptions = {}): Promise<string | undefined> {
    const client = this.#client;
    if (client === undefined) throw new UsageError('`run.restore()` needs a server; this run is offline');
    const path = checkFilePath(name, 'name');
    const run = options.runPath === undefined ? this.#run : parseRunPath(options.runPath, this.#run);
    const root = resolve(options.root ?? this.#filesDir);
    const target = join(root, ...path.split('/'));
    if (!target.startsWith(root + sep)) throw invalidArgument(`restore: ${JSON.stringify(name)} leaves ${root}`);
    const exists = await stat(target).then(() => true, () => false);
    if (exists && options.replace !== true) return target;
    const file = await client.getRunFile(run, path);
    if (!file) return undefined;
    await client.downloadTo(file.digest, target);
    return target;
  }

  /** Uploads (offline: copies) `live` and `end` files once more (the run is finishing) and stops polling. */
  async finish(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#polling;
    for (const w of this.#watched) {
      if (w.policy === 'now') continue;
      if (this.#client === undefined) {
        for (const p of w.paths) await this.#copy(w.base, p);
        continue;
      }
      for (const p of w.paths) await this.#link(w.base, p);
      await this.#enqueue(() => this.#upload(w.base, w.paths, true));
    }
    await this.#chain;
  }

  /** Stops polling without uploading. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #startPolling(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#polling) return;
      this.#polling = this.#pollLive()
        .catch((err: unknown) => this.#logger.warn(`save: live upload failed: ${(err as Error).message}`))
        .finally(() => (this.#polling = undefined));
    }, this.#liveIntervalMs).unref();
  }

  async #pollLive(): Promise<void> {
    for (const w of this.#watched) {
      if (w.policy !== 'live') continue;
      for (const p of w.paths) await this.#link(w.base, p);
      await this.#enqueue(() => this.#upload(w.base, w.paths, false));
    }
  }

  /** Uploads files whose size/mtime changed since the last upload (all when `force`). */
  async #upload(base: string, paths: readonly string[], force: boolean): Promise<void> {
    const changed: Array<{ localPath: string; path: string; digest: string; size: number }> = [];
    for (const p of paths) {
      const local = join(base, ...p.split('/'));
      const st = await stat(local).catch(() => undefined);
      if (!st) continue;
      const stamp = `${st.size}:${st.mtimeMs}`;
      if (!force && this.#uploaded.get(p) === stamp) continue;
      const h = await hashFile(local);
      changed.push({ localPath: local, path: p, digest: h.digest, size: h.size });
      this.#uploaded.set(p, stamp);
    }
    const client = this.#client;
    if (changed.length === 0 || client === undefined) return;
    await client.uploadMissing(changed);
    await client.putRunFiles(this.#run, changed.map((c) => ({ path: c.path, digest: c.digest, size: c.size, ref: '' })));
  }

  /** Links (or copies, where links are not allowed) a saved file into the run's files folder; offline, copies it. */
  async #link(base: string, path: string): Promise<void> {
    const target = join(this.#filesDir, ...path.split('/'));
    const source = join(base, ...path.split('/'));
    if (resolve(target) === resolve(source)) return;
    if (this.#client === undefined) return this.#copy(base, path);
    await mkdir(dirname(target), { recursive: true });
    const existing = await stat(target).catch(() => undefined);
    if (existing) return;
    await rm(target, { force: true });
    await symlink(source, target).catch(() => copyFile(source, target));
  }

  /** Copies a saved file into the run's files folder (offline: `cohort sync` uploads what is there then), replacing an older copy; a file gone since is left as last copied. */
  async #copy(base: string, path: string): Promise<void> {
    const target = join(this.#filesDir, ...path.split('/'));
    const source = join(base, ...path.split('/'));
    if (resolve(target) === resolve(source)) return;
    await mkdir(dirname(target), { recursive: true });
    await copyFile(source, target).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(fn, fn);
    this.#chain = next.catch(() => undefined);
    return next;
  }
}

function parseRunPath(path: string, current: WireRunRef): WireRunRef {
  const parts = path.split('/');
  if (parts.some((p) => p === '') || parts.length < 2 || parts.length > 3) {
    throw invalidArgument(`Expected \`runPath\` to be "entity/project/id" or "project/id", got ${JSON.stringify(path)}`);
  }
  return parts.length === 3 ? { entity: parts[0]!, project: parts[1]!, runId: parts[2]! } : { entity: current.entity, project: parts[0]!, runId: parts[1]! };
}
