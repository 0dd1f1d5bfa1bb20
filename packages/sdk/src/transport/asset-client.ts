import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { CohortError, protosDir } from '@cohort/protocol';
import { channelFor } from './channel-security.js';
import { authMetadata, fromGrpcError, LOADER_OPTIONS } from './grpc-client.js';

/** Bytes per upload chunk (the server's bound on one chunk). */
export const UPLOAD_CHUNK_BYTES = 1024 * 1024;
/** Most digests asked about per `MissingBlobs` call. */
const MISSING_BATCH = 10_000;

/** A manifest entry as the wire carries it. */
export interface WireEntry {
  path: string;
  digest: string;
  size: number;
  ref: string;
}

/** A run reference on the wire. */
export interface WireRunRef {
  entity: string;
  project: string;
  runId: string;
}

/** An artifact version as the server answers it. */
export interface WireArtifactVersion {
  entity: string;
  project: string;
  name: string;
  type: string;
  version: string;
  state: 'PENDING' | 'COMMITTED';
  digest: string;
  aliases: string[];
  tags: string[];
  description: string;
  metadataJson: string;
  entries: WireEntry[];
  size: number;
  loggedBy: string;
  deduplicated: boolean;
  createdAt: number;
  distributedId: string;
}

/** `SaveArtifact`'s request. */
export interface WireSaveArtifact {
  run: WireRunRef;
  name: string;
  type: string;
  aliases: string[];
  tags: string[];
  description: string;
  metadataJson: string;
  entries: WireEntry[];
  mode: 'log' | 'upsert' | 'finish';
  distributedId: string;
  writer: string;
  expectedWriters: number;
  waitMs: number;
}

type Unary = (request: unknown, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, response?: Record<string, unknown>) => void) => grpc.ClientUnaryCall;

interface BlobsClient extends grpc.Client {
  MissingBlobs: Unary;
  UploadBlob(metadata: grpc.Metadata, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, response?: Record<string, unknown>) => void): grpc.ClientWritableStream<unknown>;
  DownloadBlob(request: { digest: string }, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<{ kind?: string; header?: { digest: string; size: string }; data?: Buffer }>;
}

interface ArtifactsClient extends grpc.Client {
  SaveArtifact: Unary;
  UseArtifact: Unary;
  GetArtifact: Unary;
  LinkArtifact: Unary;
  PutRunFiles: Unary;
  GetRunFile: Unary;
}

type Ctor<T> = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => T;
let ctors: { blobs: Ctor<BlobsClient>; artifacts: Ctor<ArtifactsClient> } | undefined;

function constructors(): { blobs: Ctor<BlobsClient>; artifacts: Ctor<ArtifactsClient> } {
  if (!ctors) {
    const options = { ...LOADER_OPTIONS, includeDirs: [protosDir()] };
    const blobs = grpc.loadPackageDefinition(protoLoader.loadSync('cohort/v1/blobs.proto', options)) as unknown as { cohort: { v1: { Blobs: Ctor<BlobsClient> } } };
    const artifacts = grpc.loadPackageDefinition(protoLoader.loadSync('cohort/v1/artifacts.proto', options)) as unknown as { cohort: { v1: { Artifacts: Ctor<ArtifactsClient> } } };
    ctors = { blobs: blobs.cohort.v1.Blobs, artifacts: artifacts.cohort.v1.Artifacts };
  }
  return ctors;
}

/** sha256 and size of a file, read in chunks. */
export async function hashFile(path: string): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: UPLOAD_CHUNK_BYTES })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).byteLength;
  }
  return { digest: hash.digest('hex'), size };
}

/**
 * The SDK's client of the `Blobs` and `Artifacts` services. Files stream in
 * 1 MiB chunks both ways with back-pressure (a write waits for `drain`), so
 * memory stays bounded whatever the file size; blobs the server already has
 * are skipped (`MissingBlobs` first).
 */
export class AssetClient {
  readonly #blobs: BlobsClient;
  readonly #artifacts: ArtifactsClient;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;

  /** `target`: `host:port`, or `grpcs://host:port` for TLS (trusting `tlsCa`, PEM, when given). */
  constructor(target: string, options: { apiKey?: string | undefined; tlsCa?: Buffer | undefined; timeoutMs?: number } = {}) {
    const c = constructors();
    const { address, credentials } = channelFor(target, options.tlsCa);
    const channel = {
      'grpc.max_send_message_length': 16 * 1024 * 1024,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      // A wide HTTP/2 window: the default 64 KiB caps a download at a few tens of MB/s.
      'grpc-node.flow_control_window': 16 * 1024 * 1024,
    };
    this.#blobs = new c.blobs(address, credentials, channel);
    this.#artifacts = new c.artifacts(address, credentials, channel);
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? 120_000;
  }

  /** The digests of `digests` the server lacks. */
  async missing(digests: readonly string[]): Promise<string[]> {
    return (await this.#missing(digests)).missing;
  }

  /** The digests the server lacks, and its `maxFileBytes` (0 when it does not say: an older server). */
  async #missing(digests: readonly string[]): Promise<{ missing: string[]; maxFileBytes: number }> {
    const out: string[] = [];
    let maxFileBytes = 0;
    for (let i = 0; i < digests.length; i += MISSING_BATCH) {
      const r = await this.#unary(this.#blobs.MissingBlobs.bind(this.#blobs), { digests: digests.slice(i, i + MISSING_BATCH) }, 'MissingBlobs');
      out.push(...((r['missing'] as string[] | undefined) ?? []));
      maxFileBytes = Number(r['maxFileBytes'] ?? 0);
    }
    return { missing: out, maxFileBytes };
  }

  /** Uploads a file whose digest and size are known, streaming it; `onBytes` hears each chunk sent. */
  uploadFile(path: string, digest: string, size: number, onBytes?: (bytes: number) => void): Promise<{ stored: boolean }> {
    return new Promise((resolve, reject) => {
      const call = this.#blobs.UploadBlob(authMetadata(this.#apiKey), {}, (err, response) => {
        if (err) reject(fromGrpcError(err, `upload of ${path} failed`));
        else resolve({ stored: response?.['stored'] === true });
      });
      void (async () => {
        call.write({ header: { digest, size } });
        for await (const chunk of createReadStream(path, { highWaterMark: UPLOAD_CHUNK_BYTES })) {
          const flushed = call.write({ data: chunk as Buffer });
          onBytes?.((chunk as Buffer).length);
          if (!flushed) await once(call, 'drain');
        }
        call.end();
      })().catch((err: unknown) => {
        call.cancel();
        reject(err instanceof CohortError ? err : new CohortError('UNAVAILABLE', `upload of ${path} failed: ${(err as Error).message}`, { cause: err }));
      });
    });
  }

  /**
   * Uploads the files whose blobs the server lacks (asking first by digest),
   * `concurrency` (4) at a time; `onProgress` hears the bytes sent so far of
   * those files' total. Returns how many were sent.
   */
  async uploadMissing(
    files: ReadonlyArray<{ localPath: string; digest: string; size: number }>,
    options: { concurrency?: number; onProgress?: (sent: number, total: number) => void } = {},
  ): Promise<number> {
    const byDigest = new Map<string, { localPath: string; digest: string; size: number }>();
    for (const f of files) byDigest.set(f.digest, f);
    const { missing, maxFileBytes } = await this.#missing([...byDigest.keys()]);
    // Before any byte of a file goes out, against the server's own `maxFileBytes` (it would stop reading such a file anyway).
    const tooLarge = maxFileBytes > 0 ? missing.map((d) => byDigest.get(d)!).find((f) => f.size > maxFileBytes) : undefined;
    if (tooLarge) {
      throw new CohortError('RESOURCE_EXHAUSTED', `${tooLarge.localPath}: the file is ${tooLarge.size} bytes; at most ${maxFileBytes} bytes are allowed per file (maxFileBytes)`);
    }
    let next = 0;
    let sent = 0;
    const total = missing.reduce((sum, d) => sum + byDigest.get(d)!.size, 0);
    const { onProgress } = options;
    const onBytes = onProgress && ((bytes: number): void => onProgress((sent += bytes), total));
    const worker = async () => {
      while (next < missing.length) {
        const f = byDigest.get(missing[next++]!)!;
        await this.uploadFile(f.localPath, f.digest, f.size, onBytes);
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, missing.length) }, worker));
    return missing.length;
  }

  /** Downloads a blob to `target` (through a temporary file, checked against the digest). */
  async downloadTo(digest: string, target: string): Promise<void> {
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.cohort-part`;
    const out = createWriteStream(tmp);
    const hash = createHash('sha256');
    const call = this.#blobs.DownloadBlob({ digest }, authMetadata(this.#apiKey));
    try {
      for await (const msg of call) {
        if (!msg.data) continue;
        hash.update(msg.data);
        if (!out.write(msg.data)) await once(out, 'drain');
      }
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      const got = hash.digest('hex');
      if (got !== digest) throw new CohortError('DATA_LOSS', `download of blob ${digest}: the bytes hash to ${got}`);
      await rename(tmp, target);
    } catch (err) {
      call.cancel();
      out.destroy();
      await rm(tmp, { force: true });
      if (err instanceof CohortError) throw err;
      throw fromGrpcError(err as grpc.ServiceError, `download of blob ${digest} failed`);
    }
  }

  /** `SaveArtifact`. */
  async saveArtifact(request: WireSaveArtifact): Promise<WireArtifactVersion> {
    return toVersion(await this.#unary(this.#artifacts.SaveArtifact.bind(this.#artifacts), request, `${request.mode}Artifact ${request.name}`, request.waitMs + this.#timeoutMs));
  }

  /** `UseArtifact`. */
  async useArtifact(run: WireRunRef, path: string, type: string, useAs: string): Promise<WireArtifactVersion> {
    return toVersion(await this.#unary(this.#artifacts.UseArtifact.bind(this.#artifacts), { run, path, type, useAs }, `useArtifact ${path}`));
  }

  /** `GetArtifact`. */
  async getArtifact(entity: string, project: string, path: string): Promise<WireArtifactVersion> {
    return toVersion(await this.#unary(this.#artifacts.GetArtifact.bind(this.#artifacts), { entity, project, path }, `artifact ${path}`));
  }

  /** `LinkArtifact`. */
  async linkArtifact(run: WireRunRef | undefined, entity: string, project: string, path: string, target: string, aliases: readonly string[]): Promise<WireArtifactVersion> {
    return toVersion(await this.#unary(this.#artifacts.LinkArtifact.bind(this.#artifacts), { run, entity, project, path, target, aliases }, `linkArtifact ${path}`));
  }

  /** `PutRunFiles`. */
  async putRunFiles(run: WireRunRef, files: readonly WireEntry[]): Promise<string[]> {
    const r = await this.#unary(this.#artifacts.PutRunFiles.bind(this.#artifacts), { run, files }, 'save');
    return (r['paths'] as string[] | undefined) ?? [];
  }

  /** `GetRunFile`: the entry, or `undefined`. */
  async getRunFile(run: WireRunRef, path: string): Promise<WireEntry | undefined> {
    const r = await this.#unary(this.#artifacts.GetRunFile.bind(this.#artifacts), { run, path }, 'restore');
    if (r['found'] !== true) return undefined;
    const f = r['file'] as Record<string, unknown>;
    return { path: String(f['path']), digest: String(f['digest']), size: Number(f['size']), ref: String(f['ref'] ?? '') };
  }

  /** Closes both channels. */
  close(): void {
    this.#blobs.close();
    this.#artifacts.close();
  }

  #unary(fn: Unary, request: unknown, what: string, timeoutMs = this.#timeoutMs): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      fn(request, authMetadata(this.#apiKey), { deadline: Date.now() + timeoutMs }, (err, response) => {
        if (err) reject(fromGrpcError(err, `${what} failed`));
        else resolve(response ?? {});
      });
    });
  }
}

function toVersion(r: Record<string, unknown>): WireArtifactVersion {
  const entries = ((r['entries'] as Array<Record<string, unknown>> | undefined) ?? []).map((e) => ({
    path: String(e['path']),
    digest: String(e['digest']),
    size: Number(e['size']),
    ref: String(e['ref'] ?? ''),
  }));
  return {
    entity: String(r['entity'] ?? ''),
    project: String(r['project'] ?? ''),
    name: String(r['name'] ?? ''),
    type: String(r['type'] ?? ''),
    version: String(r['version'] ?? ''),
    state: r['state'] === 'COMMITTED' ? 'COMMITTED' : 'PENDING',
    digest: String(r['digest'] ?? ''),
    aliases: (r['aliases'] as string[] | undefined) ?? [],
    tags: (r['tags'] as string[] | undefined) ?? [],
    description: String(r['description'] ?? ''),
    metadataJson: String(r['metadataJson'] ?? ''),
    entries,
    size: Number(r['size'] ?? 0),
    loggedBy: String(r['loggedBy'] ?? ''),
    deduplicated: r['deduplicated'] === true,
    createdAt: Number(r['createdAt'] ?? 0),
    distributedId: String(r['distributedId'] ?? ''),
  };
}

/** Exists for callers that check a local file before hashing it. */
export async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}
