import { CohortError } from '@cohort/protocol';
import { Artifact, type FinishArtifactOptions, type LogArtifactOptions, type Run, type UpsertArtifactOptions, type UseArtifactOptions } from '@cohort/sdk';

type ModelOptions = { name?: string; aliases?: readonly string[] };

/**
 * The Python client's artifacts (clients/python/cohort/artifact.py) on the
 * SDK's: a draft arrives as `{ name, type, description, metadata, ops }`, whose
 * ops (`["file", path, name?]`, `["dir", path, name?]`, `["reference", uri, name?, checksum?, size?]`)
 * are replayed on an SDK `Artifact`; artifacts the client may use again
 * (download, link) are kept by handle.
 */
const MAX_HANDLES = 1000;

export interface ArtifactDraft {
  readonly name: string;
  readonly type: string;
  readonly description?: string;
  readonly metadata?: Record<string, unknown>;
  readonly ops?: readonly (readonly unknown[])[];
}

export class AgentArtifacts {
  readonly #byHandle = new Map<number, Artifact>();
  #next = 1;

  /** What the client sees of an artifact, with its handle. */
  info(artifact: Artifact): Record<string, unknown> {
    const handle = this.#next++;
    this.#byHandle.set(handle, artifact);
    if (this.#byHandle.size > MAX_HANDLES) this.#byHandle.delete(this.#byHandle.keys().next().value!);
    return {
      handle,
      name: artifact.name,
      type: artifact.type,
      description: artifact.description,
      metadata: artifact.metadata,
      state: artifact.state,
      version: artifact.version,
      digest: artifact.digest,
      aliases: artifact.aliases,
      qualified_name: artifact.qualifiedName,
      size: artifact.size,
      files: artifact.files().map((e) => ({ path: e.path, digest: e.digest, size: e.size, ref: e.ref })),
    };
  }

  /** The artifact of a handle, or a draft built into a new SDK `Artifact`, or a path or `name:alias` as is. */
  resolve(value: unknown): Artifact | string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number') {
      const a = this.#byHandle.get(value);
      if (!a) throw new CohortError('INVALID_ARGUMENT', `agent: artifact handle ${value} is unknown (or older than the last ${MAX_HANDLES})`);
      return a;
    }
    const d = value as ArtifactDraft;
    if (d === null || typeof d !== 'object') throw new TypeError('Expected an artifact, a path or a name');
    const artifact = new Artifact(d.name, d.type, { ...(d.description !== undefined && { description: d.description }), ...(d.metadata !== undefined && { metadata: d.metadata }) });
    for (const op of d.ops ?? []) {
      const [kind, target, name, checksum, size] = op as [string, string, string | null, string | null, number | null];
      const named = name === null || name === undefined ? {} : { name };
      if (kind === 'file') artifact.addFile(target, named);
      else if (kind === 'dir') artifact.addDir(target, named);
      else if (kind === 'reference') artifact.addReference(target, { ...named, ...(checksum != null && { checksum }), ...(size != null && { size }) });
      else throw new CohortError('INVALID_ARGUMENT', `agent: unknown artifact operation ${JSON.stringify(kind)}`);
    }
    return artifact;
  }

  artifact(handle: unknown): Artifact {
    const a = this.resolve(handle);
    if (typeof a === 'string') throw new TypeError('Expected a logged or used artifact');
    return a;
  }

  /** One artifact call of the client; each is the SDK's method of the same name. */
  async call(run: Run, op: string, a: Record<string, unknown>): Promise<unknown> {
    const strings = (v: unknown) => (Array.isArray(v) ? (v as string[]) : undefined);
    // The options given (a Python None is absent).
    const opt = <T>(o: Record<string, unknown>): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as T;
    switch (op) {
      case 'log_artifact':
        return this.info(await run.logArtifact(this.resolve(a['artifact']), opt<LogArtifactOptions>({ name: a['name'] as string, type: a['type'] as string, aliases: strings(a['aliases']), tags: strings(a['tags']) })));
      case 'upsert_artifact':
        return this.info(await run.upsertArtifact(this.resolve(a['artifact']), opt<UpsertArtifactOptions>({ distributedId: a['distributed_id'] as string, name: a['name'] as string, type: a['type'] as string, aliases: strings(a['aliases']) })));
      case 'finish_artifact':
        return this.info(
          await run.finishArtifact(
            this.resolve(a['artifact']),
            opt<FinishArtifactOptions>({ distributedId: a['distributed_id'] as string, name: a['name'] as string, type: a['type'] as string, aliases: strings(a['aliases']), expectedWriters: a['expected_writers'] as number }),
          ),
        );
      case 'use_artifact':
        return this.info(await run.useArtifact(this.resolve(a['artifact']), opt<UseArtifactOptions>({ type: a['type'] as string, aliases: strings(a['aliases']), useAs: a['use_as'] as string })));
      case 'link_artifact':
        return this.info(await run.linkArtifact(this.artifact(a['artifact']), a['target_path'] as string, strings(a['aliases']) ?? []));
      case 'log_model':
        return this.info(await run.logModel(a['path'] as string, opt<ModelOptions>({ name: a['name'] as string, aliases: strings(a['aliases']) })));
      case 'use_model':
        return run.useModel(a['name'] as string, (a['root'] as string | null) ?? undefined);
      case 'link_model':
        return this.info(await run.linkModel(a['path'] as string, a['registered_model_name'] as string, opt<ModelOptions>({ name: a['name'] as string, aliases: strings(a['aliases']) })));
      case 'artifact_download':
        return this.artifact(a['handle']).download((a['root'] as string | null) ?? undefined);
      case 'artifact_verify':
        await this.artifact(a['handle']).verify((a['root'] as string | null) ?? undefined);
        return undefined;
      default:
        throw new CohortError('INVALID_ARGUMENT', `agent: unknown call ${JSON.stringify(op)}`);
    }
  }
}

/** The artifact calls the agent hands to {@link AgentArtifacts.call}. */
export const ARTIFACT_OPS: ReadonlySet<string> = new Set([
  'log_artifact',
  'upsert_artifact',
  'finish_artifact',
  'use_artifact',
  'link_artifact',
  'log_model',
  'use_model',
  'link_model',
  'artifact_download',
  'artifact_verify',
]);
