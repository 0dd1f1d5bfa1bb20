import {
  CohortError,
  DEFAULT_ARTIFACT_TYPE,
  MAX_ARTIFACT_DESCRIPTION_LENGTH,
  MAX_ARTIFACT_METADATA_BYTES,
  MAX_MANIFEST_ENTRIES_PER_REQUEST,
  checkArtifactName,
  checkArtifactType,
  checkDigest,
  checkFilePath,
  checkReferenceUri,
  invalidArgument,
  parseArtifactPath,
  parseLinkTarget,
  resolveAliases,
  checkAlias,
} from '@cohort/protocol';
import type { BlobStore, RunKey, Store, StoredArtifactVersion, StoredManifestEntry, StoredRun } from '@cohort/store';

/** An entry as a client sends it (unchecked). */
export interface ManifestEntryInput {
  readonly path: string;
  readonly digest: string;
  readonly size: number;
  readonly ref: string;
}

/** A run as a client names it; `entity` '' means the server's default. */
export interface RunRefInput {
  readonly entity: string;
  readonly project: string;
  readonly runId: string;
}

/** `SaveArtifact` as the coordinator received it. */
export interface SaveArtifactCall {
  readonly run: RunRefInput;
  readonly name: string;
  readonly type: string;
  readonly aliases: readonly string[];
  readonly tags: readonly string[];
  readonly description: string;
  readonly metadataJson: string;
  readonly entries: readonly ManifestEntryInput[];
  readonly mode: string;
  readonly distributedId: string;
  readonly writer: string;
  readonly expectedWriters: number;
  readonly waitMs: number;
}

/** A version with its lineage runs resolved to keys. */
export interface ArtifactVersionView {
  readonly version: StoredArtifactVersion;
  readonly entries: readonly StoredManifestEntry[];
  readonly loggedBy: RunKey | undefined;
}

/** Options of {@link ArtifactService}. */
export interface ArtifactServiceOptions {
  readonly defaultEntity: string;
  /** Longest `finishArtifact` wait for `expectedWriters`. @defaultValue 60000 */
  readonly maxFinishWaitMs?: number;
  /** Poll interval of that wait. @defaultValue 50 */
  readonly finishPollMs?: number;
  readonly now?: () => number;
}

const MAX_TAGS = 64;
const MAX_WRITER_LENGTH = 256;
const MAX_DISTRIBUTED_ID_LENGTH = 256;

/**
 * The artifact rules of docs/run-semantics.md §7 over the {@link Store} and the
 * {@link BlobStore}: checks every request field (names, aliases, paths,
 * digests, sizes), refuses manifests whose blobs were not uploaded, and
 * resolves runs. The store does the transactional part (`store.artifacts`).
 *
 * Upserts and finishes are applied here, synchronously, before the reply: in
 * embedded and scaled mode alike they never enter the record queue, so an
 * upsert a writer saw acknowledged is in the pending version when any later
 * finish runs (docs/artifacts.md says why).
 */
export class ArtifactService {
  readonly #store: Store;
  readonly #blobs: BlobStore;
  readonly #defaultEntity: string;
  readonly #maxFinishWaitMs: number;
  readonly #finishPollMs: number;
  readonly #now: () => number;

  constructor(store: Store, blobs: BlobStore, options: ArtifactServiceOptions) {
    this.#store = store;
    this.#blobs = blobs;
    this.#defaultEntity = options.defaultEntity;
    this.#maxFinishWaitMs = options.maxFinishWaitMs ?? 60_000;
    this.#finishPollMs = options.finishPollMs ?? 50;
    this.#now = options.now ?? (() => Date.now() / 1000);
  }

  /** The blob store the manifests point into. */
  get blobs(): BlobStore {
    return this.#blobs;
  }

  /** The run of a reference, or NOT_FOUND. */
  async run(ref: RunRefInput): Promise<StoredRun> {
    const key = { entity: ref.entity || this.#defaultEntity, project: ref.project, runId: ref.runId };
    const run = await this.#store.findRun(key);
    if (!run) throw new CohortError('NOT_FOUND', `run ${key.entity}/${key.project}/${key.runId}: not found; open it first`);
    return run;
  }

  /** logArtifact / upsertArtifact / finishArtifact. */
  async save(call: SaveArtifactCall): Promise<ArtifactVersionView> {
    if (call.mode !== 'log' && call.mode !== 'upsert' && call.mode !== 'finish') {
      throw invalidArgument(`Expected \`mode\` to be "log", "upsert" or "finish", got ${JSON.stringify(call.mode)}`);
    }
    const name = checkArtifactName(call.name);
    const type = checkArtifactType(call.type === '' ? DEFAULT_ARTIFACT_TYPE : call.type);
    const aliases = call.mode === 'upsert' ? [...new Set(call.aliases.map((a) => checkAlias(a)))] : resolveAliases(call.aliases);
    const tags = checkTags(call.tags);
    if (call.description.length > MAX_ARTIFACT_DESCRIPTION_LENGTH) {
      throw invalidArgument(`Expected \`description\` to be at most ${MAX_ARTIFACT_DESCRIPTION_LENGTH} characters, got ${call.description.length}`);
    }
    const metadataJson = checkMetadata(call.metadataJson);
    const entries = checkEntries(call.entries);
    if (call.mode !== 'log') {
      if (call.distributedId === '' || call.distributedId.length > MAX_DISTRIBUTED_ID_LENGTH) {
        throw invalidArgument(`Expected \`distributedId\` to be 1 to ${MAX_DISTRIBUTED_ID_LENGTH} characters, got ${call.distributedId.length}`);
      }
    }
    if (call.writer.length > MAX_WRITER_LENGTH) throw invalidArgument(`Expected \`writer\` to be at most ${MAX_WRITER_LENGTH} characters`);
    await this.#checkUploaded(entries);
    const run = await this.run(call.run);
    const key = { entity: run.entity, project: run.project, name };
    if (call.mode === 'finish' && call.expectedWriters > 0) await this.#awaitWriters(key, call);
    const version = await this.#store.artifacts.save({
      mode: call.mode,
      ...key,
      type,
      aliases,
      tags,
      description: call.description === '' ? undefined : call.description,
      metadataJson,
      entries,
      distributedId: call.distributedId,
      writer: call.writer || `run ${run.runId}`,
      runPk: run.pk,
      now: this.#now(),
    });
    return this.#view(version);
  }

  /** useArtifact: resolves the path (in the run's project unless it names one) and records the run as a consumer. */
  async use(runRef: RunRefInput, path: string, type: string, useAs: string): Promise<ArtifactVersionView> {
    const run = await this.run(runRef);
    const version = await this.resolve(run.entity, run.project, path);
    if (type !== '' && version.type !== type) {
      throw invalidArgument(`useArtifact: ${path} has type ${JSON.stringify(version.type)}, the call expected ${JSON.stringify(type)}`);
    }
    if (useAs.length > 128) throw invalidArgument(`Expected \`useAs\` to be at most 128 characters, got ${useAs.length}`);
    await this.#store.artifacts.use(version.pk, run.pk, useAs, this.#now());
    return this.#view(version);
  }

  /** A committed version by `[[entity/]project/]name[:alias]`, or NOT_FOUND. */
  async resolve(entity: string, project: string, path: string): Promise<StoredArtifactVersion> {
    const p = parseArtifactPath(path, 'path');
    const key = { entity: p.entity ?? (entity || this.#defaultEntity), project: p.project ?? project, name: p.name };
    if (key.project === '') throw invalidArgument(`Expected a project for artifact ${JSON.stringify(path)}`);
    const version = await this.#store.artifacts.find(key, p.alias);
    if (version?.state !== 'COMMITTED') throw new CohortError('NOT_FOUND', `artifact ${key.entity}/${key.project}/${key.name}:${p.alias}: not found`);
    return version;
  }

  /** A version with its files and producer. */
  async get(entity: string, project: string, path: string): Promise<ArtifactVersionView> {
    return this.#view(await this.resolve(entity, project, path));
  }

  /** linkArtifact / linkModel. */
  async link(runRef: RunRefInput | undefined, entity: string, project: string, path: string, target: string, aliases: readonly string[]): Promise<ArtifactVersionView> {
    const source = await this.resolve(entity, project, path);
    const t = parseLinkTarget(target, 'target');
    const checked = resolveAliases(aliases);
    if (runRef && runRef.runId !== '') await this.run(runRef);
    const linked = await this.#store.artifacts.link(
      source.pk,
      { entity: t.entity ?? source.entity, project: t.project ?? source.project, name: t.name },
      checked,
      this.#now(),
    );
    return this.#view(linked);
  }

  /** The runs that used a version. */
  async usedBy(version: StoredArtifactVersion): Promise<RunKey[]> {
    const uses = await this.#store.artifacts.usedBy(version.sourceVersionPk ?? version.pk);
    const runs: RunKey[] = [];
    for (const u of uses) {
      const r = await this.#store.getRunByPk(u.runPk);
      if (r) runs.push({ entity: r.entity, project: r.project, runId: r.runId });
    }
    return runs;
  }

  /** run.save: records uploaded files in the run's files folder. Returns their checked paths. */
  async putRunFiles(runRef: RunRefInput, files: readonly ManifestEntryInput[]): Promise<string[]> {
    const entries = checkEntries(files);
    if (entries.some((e) => e.ref !== '')) throw invalidArgument('Expected run files to be uploaded content, got a reference');
    await this.#checkUploaded(entries);
    const run = await this.run(runRef);
    await this.#store.artifacts.putRunFiles(run.pk, entries, this.#now());
    return entries.map((e) => e.path);
  }

  /** One file of a run's files folder, or `undefined`. */
  async getRunFile(runRef: RunRefInput, path: string): Promise<StoredManifestEntry | undefined> {
    const checked = checkFilePath(path, 'path');
    const run = await this.run(runRef);
    const file = (await this.#store.artifacts.runFiles(run.pk)).find((f) => f.path === checked);
    return file ? { path: file.path, digest: file.digest, size: file.size, ref: '' } : undefined;
  }

  async #view(version: StoredArtifactVersion): Promise<ArtifactVersionView> {
    const entries = await this.#store.artifacts.files(version.pk);
    const run = version.loggedByRunPk === undefined ? undefined : await this.#store.getRunByPk(version.loggedByRunPk);
    return { version, entries, loggedBy: run && { entity: run.entity, project: run.project, runId: run.runId } };
  }

  async #checkUploaded(entries: readonly StoredManifestEntry[]): Promise<void> {
    const digests = [...new Set(entries.filter((e) => e.ref === '').map((e) => e.digest))];
    const missing = await this.#blobs.missing(digests);
    if (missing.length > 0) {
      throw new CohortError('FAILED_PRECONDITION', `manifest: ${missing.length} blob(s) not uploaded (first: ${missing[0]}); upload them before saving the manifest`);
    }
  }

  /** The per-artifact counter: waits until `expectedWriters` distinct writers have upserted. */
  async #awaitWriters(key: { entity: string; project: string; name: string }, call: SaveArtifactCall): Promise<void> {
    const deadline = Date.now() + Math.min(call.waitMs > 0 ? call.waitMs : this.#maxFinishWaitMs, this.#maxFinishWaitMs);
    for (;;) {
      const n = await this.#store.artifacts.countPendingWriters(key, call.distributedId);
      if (n >= call.expectedWriters) return;
      if (Date.now() >= deadline) {
        throw new CohortError('DEADLINE_EXCEEDED', `finishArtifact ${key.name}: ${n} of ${call.expectedWriters} expected writers upserted before the wait ran out`);
      }
      await new Promise((r) => setTimeout(r, this.#finishPollMs).unref());
    }
  }
}

function checkTags(tags: readonly string[]): string[] {
  if (tags.length > MAX_TAGS) throw invalidArgument(`Expected \`tags\` to hold at most ${MAX_TAGS} tags, got ${tags.length}`);
  for (const t of tags) if (t.length === 0 || t.length > 64) throw invalidArgument(`Expected each of \`tags\` to be 1 to 64 characters, got ${JSON.stringify(t)}`);
  return [...new Set(tags)];
}

function checkMetadata(json: string): string | undefined {
  if (json === '') return undefined;
  if (Buffer.byteLength(json) > MAX_ARTIFACT_METADATA_BYTES) throw invalidArgument(`Expected \`metadata\` to be at most ${MAX_ARTIFACT_METADATA_BYTES} bytes of JSON`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw invalidArgument('Expected `metadata` to be a JSON object, got text that does not parse');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalidArgument('Expected `metadata` to be a JSON object');
  return json;
}

/** Checks every entry of a manifest; refuses the whole request on the first bad one, so nothing is written. */
export function checkEntries(entries: readonly ManifestEntryInput[]): StoredManifestEntry[] {
  if (entries.length > MAX_MANIFEST_ENTRIES_PER_REQUEST) {
    throw invalidArgument(`Expected at most ${MAX_MANIFEST_ENTRIES_PER_REQUEST} manifest entries per request, got ${entries.length}; send them in several upserts`);
  }
  const seen = new Set<string>();
  return entries.map((e, i) => {
    const path = checkFilePath(e.path, `entries[${i}].path`);
    if (seen.has(path)) throw invalidArgument(`Expected \`entries[${i}].path\` to be unique in the request, got ${JSON.stringify(path)} twice`);
    seen.add(path);
    const size = Number(e.size);
    if (!Number.isSafeInteger(size) || size < 0) throw invalidArgument(`Expected \`entries[${i}].size\` to be a non-negative integer, got ${String(e.size)}`);
    if (e.ref !== '') {
      checkReferenceUri(e.ref, `entries[${i}].ref`);
      if (e.digest.length > 256) throw invalidArgument(`Expected \`entries[${i}].digest\` (a checksum or etag) to be at most 256 characters`);
      return { path, digest: e.digest, size, ref: e.ref };
    }
    return { path, digest: checkDigest(e.digest, `entries[${i}].digest`), size, ref: '' };
  });
}
