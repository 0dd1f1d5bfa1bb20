import { readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import {
  CODE_TYPE,
  CohortError,
  DEFAULT_ARTIFACT_TYPE,
  MODEL_REGISTRY_PROJECT,
  MODEL_TYPE,
  UsageError,
  checkArtifactName,
  checkRegisteredModelName,
  invalidArgument,
  isModelType,
  manifestDigest,
  parseLinkTarget,
  resolveAliases,
} from '@cohort/protocol';
import type { Logger } from '../logger.js';
import { terminalProgress, type ProgressStream } from '../terminal-progress.js';
import type { AssetClient, WireArtifactVersion, WireRunRef } from '../transport/asset-client.js';
import { Artifact, artifactInternals, type ArtifactRemoteState, type ArtifactSource } from './artifact.js';
import { writeOfflineArtifact } from './offline-artifacts.js';
import { saveManifest } from './save-manifest.js';

/** Options of `run.logArtifact`. */
export interface LogArtifactOptions {
  /** For a path: @defaultValue `run-<id>-<basename>` */
  readonly name?: string;
  /** For a path: @defaultValue `unspecified` */
  readonly type?: string;
  /** `latest` is always added. */
  readonly aliases?: readonly string[];
  readonly tags?: readonly string[];
}

/** Options of `run.upsertArtifact` and `run.finishArtifact`. */
export interface UpsertArtifactOptions extends LogArtifactOptions {
  /** The id the writers share. @defaultValue the run's group */
  readonly distributedId?: string;
}

/** Options of `run.finishArtifact`. */
export interface FinishArtifactOptions extends UpsertArtifactOptions {
  /**
   * Commit only once this many distinct writers have upserted (the
   * per-artifact counter), waiting up to `waitMs`. 0: commit what is there.
   * @defaultValue 0
   */
  readonly expectedWriters?: number;
  /** @defaultValue 60000 */
  readonly waitMs?: number;
}

/** Options of `run.useArtifact`. */
export interface UseArtifactOptions {
  /** The type the artifact must have. */
  readonly type?: string;
  /** For an `Artifact` not logged yet: the aliases it is logged with (`latest` is always added). */
  readonly aliases?: readonly string[];
  readonly useAs?: string;
}

/** Options of `run.logModel` and `run.linkModel`. */
export interface LogModelOptions {
  /** Letters, digits, `-`, `_` and `.` only. @defaultValue `run-<id>-<basename>` */
  readonly name?: string;
  readonly aliases?: readonly string[];
  readonly tags?: readonly string[];
}

/** Options of `run.logCode`. */
export interface LogCodeOptions {
  /** @defaultValue `source-<project>-<entry script>` */
  readonly name?: string;
  /** Which files, called with each file's path (under `root`) and the resolved `root` (W&B's `include_fn(path, root)`). @defaultValue the source files of docs/run-semantics.md §9 */
  readonly include?: (path: string, root: string) => boolean;
  readonly exclude?: (path: string, root: string) => boolean;
}

/** What a run's artifact methods need from the run. */
export interface RunArtifactsContext {
  /** The server; `undefined` offline, where `logArtifact` records into `runDir` for `cohort sync`. */
  readonly client: AssetClient | undefined;
  /** The run folder (offline artifacts go to its `artifacts/`). */
  readonly runDir: string;
  readonly run: WireRunRef;
  readonly group: string;
  /** "rank 2 (run abc)" or "run abc". */
  readonly writer: string;
  readonly baseDir: string;
  readonly logger: Logger;
  /** Where a long upload draws its progress line (when it is a terminal); `undefined` when silent. */
  readonly progress: ProgressStream | undefined;
}

const CODE_RE = /(\.(ts|js|mjs|cjs|py)$)|(^|\/)(package\.json|requirements\.txt|Dockerfile[^/]*)$/;
const CODE_SKIP = new Set(['node_modules', '.git', '.cohort', 'wandb', 'dist']);
/** W&B's rule for model names (`log_model`, `link_model`). */
const MODEL_NAME_RE = /^[A-Za-z0-9_.-]+$/;
/** Most files `logCode` takes. */
const MAX_CODE_FILES = 10_000;

/** `remote` in the shape the Artifact keeps. */
export function toRemoteState(v: WireArtifactVersion): ArtifactRemoteState {
  return {
    entity: v.entity,
    project: v.project,
    version: v.version,
    state: v.state,
    digest: v.digest,
    aliases: v.aliases,
    tags: v.tags,
    entries: v.entries,
    size: v.size,
    loggedBy: v.loggedBy,
    createdAt: v.createdAt,
    description: v.description,
    metadataJson: v.metadataJson,
  };
}

/** An Artifact object for a stored version. */
export function artifactFromVersion(v: WireArtifactVersion, source: ArtifactSource): Artifact {
  let metadata: Record<string, unknown> = {};
  try {
    metadata = v.metadataJson === '' ? {} : (JSON.parse(v.metadataJson) as Record<string, unknown>);
  } catch {
    metadata = {};
  }
  const a = new Artifact(v.name, v.type, { description: v.description, metadata });
  a[artifactInternals].attach(toRemoteState(v), source);
  return a;
}

/**
 * The artifact and model methods of a run (docs/run-semantics.md §7). Calls of one run
 * run one after another, so a `finishArtifact` follows this process's own
 * upserts; across processes, an upsert whose promise resolved is stored.
 */
export class RunArtifacts {
  readonly #c: RunArtifactsContext;
  #chain: Promise<unknown> = Promise.resolve();
  readonly #source: ArtifactSource;

  constructor(context: RunArtifactsContext) {
    this.#c = context;
    this.#source = { download: (digest, target) => this.#client('download').downloadTo(digest, target) };
  }

  async logArtifact(artifactOrPath: Artifact | string, options: LogArtifactOptions = {}): Promise<Artifact> {
    const artifact = this.#toArtifact(artifactOrPath, options, DEFAULT_ARTIFACT_TYPE);
    return this.#save(artifact, 'log', options, '', 0, 0);
  }

  async upsertArtifact(artifactOrPath: Artifact | string, options: UpsertArtifactOptions = {}): Promise<Artifact> {
    this.#client('upsertArtifact');
    const id = this.#distributedId(options.distributedId);
    const artifact = this.#toArtifact(artifactOrPath, options, DEFAULT_ARTIFACT_TYPE);
    return this.#save(artifact, 'upsert', options, id, 0, 0);
  }

  async finishArtifact(artifactOrPath: Artifact | string, options: FinishArtifactOptions = {}): Promise<Artifact> {
    this.#client('finishArtifact');
    const id = this.#distributedId(options.distributedId);
    const expected = options.expectedWriters ?? 0;
    if (!Number.isInteger(expected) || expected < 0) throw invalidArgument(`Expected \`expectedWriters\` to be an integer from 0 and up, got ${String(expected)}`);
    const artifact = this.#toArtifact(artifactOrPath, options, DEFAULT_ARTIFACT_TYPE);
    return this.#save(artifact, 'finish', options, id, expected, options.waitMs ?? 60_000);
  }

  /**
   * Records this run as a consumer of a version: `name[:alias]`,
   * `name:<manifest digest>`, a logged `Artifact`, or an `Artifact` not
   * logged yet, which is logged first (with `aliases`) and then used (W&B).
   */
  async useArtifact(nameOrArtifact: string | Artifact, options: UseArtifactOptions = {}): Promise<Artifact> {
    const client = this.#client('useArtifact');
    resolveAliases(options.aliases);
    let path: string;
    if (typeof nameOrArtifact === 'string') path = nameOrArtifact;
    else if (!(nameOrArtifact instanceof Artifact)) throw new TypeError(`Expected \`useArtifact\`'s first argument to be a name or an Artifact, got ${typeof nameOrArtifact}`);
    else {
      if (nameOrArtifact.state === 'draft') await this.logArtifact(nameOrArtifact, { aliases: options.aliases ?? [] });
      else if (nameOrArtifact.state === 'saving') await nameOrArtifact.wait();
      path = nameOrArtifact.qualifiedName;
      if (path === '') throw new UsageError(`useArtifact: artifact ${nameOrArtifact.name} is not a version on this server (${nameOrArtifact.state === 'PENDING' ? 'PENDING: finish it first' : 'logged offline: cohort sync it first'})`);
    }
    return this.#enqueue(async () => {
      const v = await client.useArtifact(this.#c.run, path, options.type ?? '', options.useAs ?? '');
      return artifactFromVersion(v, this.#source);
    });
  }

  async linkArtifact(artifact: Artifact, targetPath: string, aliases: readonly string[] = []): Promise<Artifact> {
    const client = this.#client('linkArtifact');
    parseLinkTarget(targetPath);
    resolveAliases(aliases);
    await artifact.wait().catch(() => undefined);
    if (artifact.qualifiedName === '') throw new UsageError(`linkArtifact: artifact ${artifact.name} is not committed; log or finish it first`);
    return this.#enqueue(async () => {
      const v = await client.linkArtifact(this.#c.run, '', '', artifact.qualifiedName, targetPath, aliases);
      return artifactFromVersion(v, this.#source);
    });
  }

  async logModel(path: string, options: LogModelOptions = {}): Promise<Artifact> {
    if (options.name !== undefined) checkModelName(options.name);
    return this.logArtifact(path, { ...options, type: MODEL_TYPE });
  }

  /** Downloads a model; returns the file's path when it has one file, else the folder. */
  async useModel(name: string, root?: string): Promise<string> {
    this.#client('useModel');
    const artifact = await this.useArtifact(name);
    if (!isModelType(artifact.type)) throw invalidArgument(`useModel: ${name} has type ${JSON.stringify(artifact.type)}, which does not contain "model"`);
    const dir = await artifact.download(root);
    const files = artifact.files().filter((f) => f.ref === '');
    return files.length === 1 ? join(dir, ...files[0]!.path.split('/')) : dir;
  }

  /** Logs `path` as a model and links it into `<entity>/model-registry/<registeredModelName>`. */
  async linkModel(path: string, registeredModelName: string, options: { name?: string; aliases?: readonly string[] } = {}): Promise<Artifact> {
    this.#client('linkModel');
    checkRegisteredModelName(registeredModelName);
    if (options.name !== undefined) checkModelName(options.name);
    const model = await this.logModel(path, options.name === undefined ? {} : { name: options.name });
    const entity = this.#c.run.entity || model.qualifiedName.split('/')[0]!;
    return this.linkArtifact(model, `${entity}/${MODEL_REGISTRY_PROJECT}/${registeredModelName}`, options.aliases ?? []);
  }

  /** Logs the project's source files as a `code` artifact; `undefined` when none matched. */
  async logCode(root = '.', options: LogCodeOptions = {}): Promise<Artifact | undefined> {
    const dir = resolve(root);
    const include = options.include ?? ((p: string, r: string) => CODE_RE.test(relative(r, p).split(sep).join('/')));
    const exclude = options.exclude ?? (() => false);
    if (typeof include !== 'function' || typeof exclude !== 'function') throw new TypeError('Expected `include` and `exclude` of logCode to be functions (path, root) => boolean');
    const baseDir = resolve(this.#c.baseDir);
    const entry = (basename(process.argv[1] ?? 'main').replace(/[^A-Za-z0-9_.-]/g, '_') || 'main').slice(0, 60);
    const name = options.name ?? `source-${this.#c.run.project}-${entry}`.slice(0, 128);
    const artifact = new Artifact(name, CODE_TYPE);
    let n = 0;
    const walk = (d: string) => {
      for (const ent of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, ent.name);
        if (ent.isDirectory()) {
          if (CODE_SKIP.has(ent.name) || p === baseDir) continue;
          walk(p);
        } else if (ent.isFile()) {
          const rel = relative(dir, p).split(sep).join('/');
          if (!include(p, dir) || exclude(p, dir)) continue;
          if (++n > MAX_CODE_FILES) throw new CohortError('RESOURCE_EXHAUSTED', `logCode: more than ${MAX_CODE_FILES} files under ${dir}; pass include/exclude`);
          artifact.addFile(p, { name: rel });
        }
      }
    };
    walk(dir);
    if (n === 0) return undefined;
    return this.logArtifact(artifact);
  }

  #distributedId(given: string | undefined): string {
    const id = given ?? this.#c.group;
    if (id === undefined || id === '') throw new TypeError('Cannot upsert artifact unless run is in a group or distributed_id is provided');
    return id;
  }

  #toArtifact(artifactOrPath: Artifact | string, options: LogArtifactOptions, defaultType: string): Artifact {
    if (artifactOrPath instanceof Artifact) {
      resolveAliases(options.aliases);
      return artifactOrPath;
    }
    if (typeof artifactOrPath !== 'string') throw new TypeError(`Expected an Artifact or a path, got ${typeof artifactOrPath}`);
    resolveAliases(options.aliases);
    const path = artifactOrPath;
    const isRef = /^[a-z][a-z0-9+.-]*:\/\//.test(path);
    const base = isRef ? basename(new URL(path).pathname) || new URL(path).hostname : basename(resolve(path));
    const name = options.name ?? `run-${this.#c.run.runId}-${base}`;
    const artifact = new Artifact(checkArtifactName(name), options.type ?? defaultType);
    if (isRef) {
      artifact.addReference(path);
      return artifact;
    }
    let st;
    try {
      st = statSync(path);
    } catch {
      throw invalidArgument(`logArtifact: ${JSON.stringify(path)} must be a file, a directory or a scheme:// reference; it does not exist`);
    }
    if (st.isFile()) artifact.addFile(path);
    else if (st.isDirectory()) artifact.addDir(path);
    else throw invalidArgument(`logArtifact: ${JSON.stringify(path)} must be a file, a directory or a scheme:// reference`);
    return artifact;
  }

  #save(artifact: Artifact, mode: 'log' | 'upsert' | 'finish', options: LogArtifactOptions, distributedId: string, expectedWriters: number, waitMs: number): Promise<Artifact> {
    const internals = artifact[artifactInternals];
    if (artifact.state === 'COMMITTED') return Promise.reject(new UsageError(`artifact ${artifact.name}: already committed (${artifact.version}); create a new Artifact for a new version`));
    const client = this.#c.client;
    if (client === undefined) return this.#saveOffline(artifact, options);
    const work = this.#enqueue(async () => {
      const entries = await internals.prepare();
      const local = entries.filter((e): e is typeof e & { localPath: string } => e.localPath !== undefined);
      const progress = this.#c.progress && terminalProgress(this.#c.progress, (sent, total) => `cohort: uploading artifact ${artifact.name}: ${mib(sent)} of ${mib(total)} MiB`);
      try {
        await client.uploadMissing(
          local.map((e) => ({ localPath: e.localPath, digest: e.digest, size: e.size })),
          progress ? { onProgress: (sent, total) => progress.update(sent, total) } : {},
        );
      } finally {
        progress?.clear();
      }
      const wire = entries.map((e) => ({ path: e.path, digest: e.digest, size: e.size, ref: e.ref }));
      const head = { run: this.#c.run, ...this.#manifestHead(artifact, options) };
      const v = await saveManifest(client, head, wire, mode, distributedId, expectedWriters, waitMs);
      if (v.deduplicated) this.#c.logger.warn(`artifact ${artifact.name}: the content equals ${v.name}:${v.version}; no new version was made`);
      internals.attach(toRemoteState(v), this.#source);
      return artifact;
    });
    internals.saving(work, 'saving');
    return work;
  }

  /** What a version's manifest says of the artifact besides its files. */
  #manifestHead(artifact: Artifact, options: LogArtifactOptions) {
    return {
      name: artifact.name,
      type: artifact.type,
      aliases: [...(options.aliases ?? [])],
      tags: [...(options.tags ?? [])],
      description: artifact.description,
      metadataJson: JSON.stringify(artifact.metadata),
      writer: this.#c.writer,
    };
  }

  /** Offline `logArtifact`: the files are copied into the run folder and the manifest recorded for `cohort sync`; the artifact is immutable after. */
  #saveOffline(artifact: Artifact, options: LogArtifactOptions): Promise<Artifact> {
    const internals = artifact[artifactInternals];
    const work = this.#enqueue(async () => {
      const entries = await internals.prepare();
      const head = this.#manifestHead(artifact, options);
      const stored = await writeOfflineArtifact(this.#c.runDir, head, entries);
      internals.attach(
        {
          entity: this.#c.run.entity,
          project: this.#c.run.project,
          version: '',
          state: 'COMMITTED',
          digest: manifestDigest(stored),
          aliases: [...resolveAliases(options.aliases)],
          tags: head.tags,
          entries: stored,
          size: stored.reduce((n, e) => n + e.size, 0),
          loggedBy: `${this.#c.run.entity}/${this.#c.run.project}/${this.#c.run.runId}`,
          createdAt: Date.now() / 1000,
          description: head.description,
          metadataJson: head.metadataJson,
        },
        undefined,
      );
      return artifact;
    });
    internals.saving(work, 'saving');
    return work;
  }

  #client(what: string): AssetClient {
    if (this.#c.client === undefined) throw new UsageError(`\`run.${what}()\` needs a server; this run is offline (logArtifact, logModel, logCode and save work offline and upload with \`cohort sync\`)`);
    return this.#c.client;
  }

  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(fn, fn);
    this.#chain = next.catch(() => undefined);
    return next;
  }
}

/** Checks a model name (W&B's rule): letters, digits, `-`, `_` and `.`. */
export function checkModelName(name: unknown): string {
  if (typeof name !== 'string' || !MODEL_NAME_RE.test(name) || name.length > 128) {
    throw new UsageError(`Expected the model \`name\` to be 1 to 128 letters, digits, "-", "_" or "." (W&B's rule for model names), got ${JSON.stringify(name)}`);
  }
  return name;
}

function mib(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}
