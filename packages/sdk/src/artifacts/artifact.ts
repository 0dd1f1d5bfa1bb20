import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, statSync, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CohortError,
  UsageError,
  checkArtifactName,
  checkArtifactType,
  checkFilePath,
  checkReferenceUri,
  invalidArgument,
} from '@cohort/protocol';
import { hashFile } from '../transport/asset-client.js';

/** Most files one artifact may hold (a bound on the manifest kept in memory). */
export const MAX_ARTIFACT_FILES = 1_000_000;

/** One file of an artifact. */
export interface ArtifactManifestEntry {
  /** The path inside the artifact. */
  readonly path: string;
  /** sha256 hex of the content; for a reference its checksum or etag ('' when unknown). '' before the artifact is logged. */
  readonly digest: string;
  readonly size: number;
  /** A reference's URI; '' for stored content. */
  readonly ref: string;
  /** Where the content is on this machine, for added (not yet logged) files. */
  readonly localPath?: string;
}

/** Options of `new Artifact()`. */
export interface ArtifactOptions {
  readonly description?: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** How an artifact reads its stored content: the run's gRPC client or the Api's HTTP client. */
export interface ArtifactSource {
  download(digest: string, target: string): Promise<void>;
  loggedBy?(): Promise<ArtifactRunRef | undefined>;
  usedBy?(): Promise<ArtifactRunRef[]>;
}

/** A run in an artifact's lineage. */
export interface ArtifactRunRef {
  readonly entity: string;
  readonly project: string;
  readonly runId: string;
}

/** What the server said about a logged version. */
export interface ArtifactRemoteState {
  readonly entity: string;
  readonly project: string;
  readonly version: string;
  readonly state: 'PENDING' | 'COMMITTED';
  readonly digest: string;
  readonly aliases: readonly string[];
  readonly tags: readonly string[];
  readonly entries: readonly ArtifactManifestEntry[];
  readonly size: number;
  readonly loggedBy: string;
  readonly createdAt: number;
  readonly description: string;
  readonly metadataJson: string;
}

interface Draft {
  path: string;
  localPath: string | undefined;
  ref: string;
  digest: string;
  size: number;
}

/** Internal hooks the run and the Api use; not part of the public API. */
export const artifactInternals = Symbol('cohort.artifact');

/** The lifecycle of an {@link Artifact} object. */
export type ArtifactState = 'draft' | 'saving' | 'PENDING' | 'COMMITTED';

/**
 * A versioned set of files (W&B's `Artifact`): build one, then
 * `run.logArtifact(artifact)`. Content is addressed by sha256: identical
 * files are stored once, and logging byte-identical content again returns
 * the existing version.
 *
 * @example
 * const data = new Artifact('mnist', 'dataset', { metadata: { rows: 60000 } });
 * data.addDir('./data/mnist');
 * data.addReference('s3://bucket/raw/mnist.tar', { checksum: '"9b2cf535f27731c974343645a3985328"', size: 11_594_722 });
 * await run.logArtifact(data, { aliases: ['best'] });
 * data.version; // "v0"
 */
export class Artifact {
  readonly name: string;
  readonly type: string;
  description: string;
  metadata: Record<string, unknown>;
  readonly #drafts = new Map<string, Draft>();
  readonly #writing: Array<Promise<void>> = [];
  #staging: string | undefined;
  #state: ArtifactState = 'draft';
  #remote: ArtifactRemoteState | undefined;
  #source: ArtifactSource | undefined;
  #saving: Promise<unknown> | undefined;

  constructor(name: string, type: string, options: ArtifactOptions = {}) {
    this.name = checkArtifactName(name);
    this.type = checkArtifactType(type);
    this.description = options.description ?? '';
    this.metadata = { ...options.metadata };
  }

  /** `draft` until logged; `PENDING` after an upsert; `COMMITTED` once logged or finished (then immutable). */
  get state(): ArtifactState {
    return this.#state;
  }

  /** `v0`, `v1`…; '' until committed. */
  get version(): string {
    return this.#remote?.version ?? '';
  }

  /** The manifest digest (sha256 over the sorted entries); '' until logged. */
  get digest(): string {
    return this.#remote?.digest ?? '';
  }

  /** The version's aliases (with `latest` and `vN`), as the server last said. */
  get aliases(): readonly string[] {
    return this.#remote?.aliases ?? [];
  }

  /** `entity/project/name:vN`, once committed. */
  get qualifiedName(): string {
    const r = this.#remote;
    return r && r.version !== '' ? `${r.entity}/${r.project}/${this.name}:${r.version}` : '';
  }

  /** Total bytes of the files. */
  get size(): number {
    return this.#remote?.size ?? [...this.#drafts.values()].reduce((n, d) => n + d.size, 0);
  }

  /** The entries by path: added ones before logging, the stored ones after. */
  get manifest(): { readonly entries: Readonly<Record<string, ArtifactManifestEntry>> } {
    const entries: Record<string, ArtifactManifestEntry> = {};
    for (const e of this.#entries()) entries[e.path] = e;
    return { entries };
  }

  /** Adds a local file as `name` (default: its base name). */
  addFile(localPath: string, options: { name?: string; overwrite?: boolean } = {}): ArtifactManifestEntry {
    this.#mutable('addFile');
    const abs = resolve(localPath);
    let size: number;
    try {
      const st = statSync(abs);
      if (!st.isFile()) throw invalidArgument(`addFile: ${JSON.stringify(localPath)} is not a file`);
      size = st.size;
    } catch (err) {
      if (err instanceof CohortError) throw err;
      throw invalidArgument(`addFile: cannot read ${JSON.stringify(localPath)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    return this.#add({ path: checkFilePath(options.name ?? basename(abs), 'name'), localPath: abs, ref: '', digest: '', size }, options.overwrite === true);
  }

  /** Adds every file under a folder, under `name/` when given. Returns how many. */
  addDir(localDir: string, options: { name?: string } = {}): number {
    this.#mutable('addDir');
    const root = resolve(localDir);
    const prefix = options.name === undefined ? '' : `${checkFilePath(options.name, 'name')}/`;
    let n = 0;
    const walk = (dir: string) => {
      for (const ent of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, ent.name);
        if (ent.isDirectory()) walk(p);
        else if (ent.isFile()) {
          this.addFile(p, { name: prefix + relative(root, p).split(sep).join('/') });
          n++;
        }
      }
    };
    try {
      if (!statSync(root).isDirectory()) throw invalidArgument(`addDir: ${JSON.stringify(localDir)} is not a folder`);
    } catch (err) {
      if (err instanceof CohortError) throw err;
      throw invalidArgument(`addDir: cannot read ${JSON.stringify(localDir)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    walk(root);
    return n;
  }

  /**
   * Records a reference (`s3://`, `gs://`, `https://`, `file://`) without
   * copying it: its URI, size and checksum or etag. For `file://` the size is
   * read and the sha256 computed when the artifact is logged; for the others
   * give `checksum` (an etag) and `size` when known.
   */
  addReference(uri: string, options: { name?: string; checksum?: string; size?: number } = {}): ArtifactManifestEntry {
    this.#mutable('addReference');
    checkReferenceUri(uri);
    const url = new URL(uri);
    const fallback = basename(url.pathname) || url.hostname;
    const path = checkFilePath(options.name ?? fallback, 'name');
    let size = options.size ?? 0;
    let localPath: string | undefined;
    if (url.protocol === 'file:') {
      localPath = fileURLToPath(url);
      try {
        size = statSync(localPath).size;
      } catch (err) {
        throw invalidArgument(`addReference: cannot read ${uri}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
    if (!Number.isSafeInteger(size) || size < 0) throw invalidArgument(`Expected \`size\` to be a non-negative integer, got ${String(options.size)}`);
    return this.#add({ path, localPath, ref: uri, digest: options.checksum ?? '', size }, false);
  }

  /**
   * A new file inside the artifact, written through the returned stream
   * (kept in a staging folder). Logging waits for the stream to finish.
   */
  newFile(name: string): WriteStream {
    this.#mutable('newFile');
    const path = checkFilePath(name, 'name');
    this.#staging ??= join(tmpdir(), `cohort-artifact-${randomUUID()}`);
    const local = join(this.#staging, ...path.split('/'));
    const draft: Draft = { path, localPath: local, ref: '', digest: '', size: 0 };
    this.#add(draft, false);
    // Synchronous so the returned stream can open at once.
    mkdirSync(dirname(local), { recursive: true });
    const stream = createWriteStream(local);
    this.#writing.push(
      new Promise<void>((resolveDone, reject) => {
        stream.once('finish', () => {
          draft.size = stream.bytesWritten;
          resolveDone();
        });
        stream.once('error', reject);
      }),
    );
    return stream;
  }

  /** The entry at `name`, or `undefined`. */
  getEntry(name: string): ArtifactManifestEntry | undefined {
    const path = checkFilePath(name, 'name');
    return this.#entries().find((e) => e.path === path);
  }

  /** Resolves once the artifact is logged (or upserted); rejects when that failed. */
  async wait(): Promise<this> {
    if (!this.#saving) throw new UsageError(`artifact ${this.name}: wait() before logArtifact/upsertArtifact; log it first`);
    await this.#saving;
    return this;
  }

  /**
   * Downloads the stored files into `root` (default
   * `./artifacts/<name>:<version>`), skipping those already there with the
   * right digest. References are not fetched. Returns the folder.
   */
  async download(root?: string): Promise<string> {
    const remote = this.#committed('download');
    const source = this.#source;
    if (!source) throw new UsageError(`artifact ${this.name}: no server to download from`);
    const dir = resolve(root ?? join('artifacts', `${this.name}:${remote.version}`));
    for (const e of remote.entries) {
      if (e.ref !== '') continue;
      const target = join(dir, ...e.path.split('/'));
      if (!target.startsWith(dir + sep)) throw new CohortError('INVALID_ARGUMENT', `artifact ${this.name}: path ${JSON.stringify(e.path)} leaves the folder`);
      const present = await hashFile(target).catch(() => undefined);
      if (present?.digest === e.digest) continue;
      await source.download(e.digest, target);
    }
    return dir;
  }

  /** Checks the files in `root` (default: the download folder) against the manifest; throws DATA_LOSS naming the first mismatch. */
  async verify(root?: string): Promise<void> {
    const remote = this.#committed('verify');
    const dir = resolve(root ?? join('artifacts', `${this.name}:${remote.version}`));
    for (const e of remote.entries) {
      if (e.ref !== '') continue;
      const got = await hashFile(join(dir, ...e.path.split('/'))).catch(() => undefined);
      if (!got) throw new CohortError('DATA_LOSS', `verify ${this.name}:${remote.version}: ${e.path} is missing in ${dir}`);
      if (got.digest !== e.digest) throw new CohortError('DATA_LOSS', `verify ${this.name}:${remote.version}: ${e.path} hashes to ${got.digest}, the manifest says ${e.digest}`);
    }
  }

  /** The stored files. */
  files(): readonly ArtifactManifestEntry[] {
    return this.#entries();
  }

  /** The run that logged this version (Api artifacts). */
  async loggedBy(): Promise<ArtifactRunRef | undefined> {
    this.#committed('loggedBy');
    if (!this.#source?.loggedBy) {
      const by = this.#remote!.loggedBy.split('/');
      return by.length === 3 ? { entity: by[0]!, project: by[1]!, runId: by[2]! } : undefined;
    }
    return this.#source.loggedBy();
  }

  /** The runs that used this version (Api artifacts). */
  async usedBy(): Promise<ArtifactRunRef[]> {
    this.#committed('usedBy');
    if (!this.#source?.usedBy) throw new UsageError(`artifact ${this.name}: usedBy() needs an artifact from \`api.artifact()\``);
    return this.#source.usedBy();
  }

  /** @internal */
  get [artifactInternals](): {
    prepare(): Promise<Array<ArtifactManifestEntry & { localPath?: string }>>;
    attach(remote: ArtifactRemoteState, source: ArtifactSource | undefined): void;
    saving(promise: Promise<unknown>, state: ArtifactState): void;
  } {
    return {
      prepare: async () => {
        await Promise.all(this.#writing);
        const out: Array<ArtifactManifestEntry & { localPath?: string }> = [];
        for (const d of this.#drafts.values()) {
          if (d.localPath !== undefined && (d.ref === '' || d.ref.startsWith('file:'))) {
            const h = await hashFile(d.localPath);
            d.digest = h.digest;
            d.size = h.size;
          }
          out.push({ path: d.path, digest: d.digest, size: d.size, ref: d.ref, ...(d.localPath !== undefined && d.ref === '' && { localPath: d.localPath }) });
        }
        return out;
      },
      attach: (remote, source) => {
        this.#remote = remote;
        this.#source = source;
        this.#state = remote.state;
        if (remote.state === 'COMMITTED' && this.#staging !== undefined) {
          void rm(this.#staging, { recursive: true, force: true }).catch(() => undefined);
          this.#staging = undefined;
        }
      },
      saving: (promise, state) => {
        this.#saving = promise;
        this.#state = state;
        promise.catch(() => {
          if (this.#state === 'saving') this.#state = 'draft';
        });
      },
    };
  }

  #entries(): ArtifactManifestEntry[] {
    if (this.#remote && this.#state === 'COMMITTED') return [...this.#remote.entries];
    return [...this.#drafts.values()].map((d) => ({ path: d.path, digest: d.digest, size: d.size, ref: d.ref, ...(d.localPath !== undefined && { localPath: d.localPath }) }));
  }

  #add(draft: Draft, overwrite: boolean): ArtifactManifestEntry {
    if (this.#drafts.has(draft.path) && !overwrite) {
      throw invalidArgument(`artifact ${this.name}: a file named ${JSON.stringify(draft.path)} was already added; pass \`overwrite: true\` to replace it`);
    }
    if (this.#drafts.size >= MAX_ARTIFACT_FILES) throw new CohortError('RESOURCE_EXHAUSTED', `artifact ${this.name}: at most ${MAX_ARTIFACT_FILES} files`);
    this.#drafts.set(draft.path, draft);
    return { path: draft.path, digest: draft.digest, size: draft.size, ref: draft.ref, ...(draft.localPath !== undefined && { localPath: draft.localPath }) };
  }

  #mutable(what: string): void {
    if (this.#state === 'COMMITTED') throw new UsageError(`artifact ${this.name}: ${what} on a committed version; it is immutable, create a new Artifact`);
    if (this.#state === 'saving') throw new UsageError(`artifact ${this.name}: ${what} while it is being logged; await artifact.wait() first`);
  }

  #committed(what: string): ArtifactRemoteState {
    if (!this.#remote || this.#state !== 'COMMITTED') throw new UsageError(`artifact ${this.name}: ${what}() needs a committed version; log it (or finish it) first`);
    return this.#remote;
  }
}
