import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { CohortError, invalidArgument, parseArtifactPath } from '@cohort/protocol';
import type { Artifact, ArtifactSource } from '../artifacts/artifact.js';
import { artifactFromVersion } from '../artifacts/run-artifacts.js';
import { apiGet } from './api-get.js';
import type { HttpClient } from './http-client.js';

/** Streams a blob over HTTP into `target` (through a temporary file), checking its digest. */
export async function downloadBlobOverHttp(http: HttpClient, digest: string, target: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const tmp = `${target}.cohort-part`;
  const out = createWriteStream(tmp);
  const hash = createHash('sha256');
  try {
    const body = await http.getStream(`/api/v1/blobs/${digest}`);
    for await (const chunk of Readable.fromWeb(body as WebReadableStream<Uint8Array>)) {
      hash.update(chunk as Buffer);
      if (!out.write(chunk)) await once(out, 'drain');
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    const got = hash.digest('hex');
    if (got !== digest) throw new CohortError('DATA_LOSS', `download of blob ${digest}: the bytes hash to ${got}`);
    await rename(tmp, target);
  } catch (err) {
    out.destroy();
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * `api.artifact("entity/project/name:alias")`: the version with its files
 * and lineage (`loggedBy()`, `usedBy()`), downloadable over HTTP.
 */
export async function fetchArtifact(http: HttpClient, path: string, defaultEntity: () => Promise<string>): Promise<Artifact> {
  const p = parseArtifactPath(path, 'path');
  if (p.project === undefined) throw invalidArgument(`Expected the path of \`api.artifact\` to be "entity/project/name[:alias]" or "project/name[:alias]", got ${JSON.stringify(path)}`);
  const entity = p.entity ?? (await defaultEntity());
  const route = '/api/v1/artifacts/{entity}/{project}/{name}/{alias}';
  const key = { entity, project: p.project, name: p.name, alias: p.alias };
  const v = await apiGet(http, route, key);
  const source: ArtifactSource = {
    download: (digest, target) => downloadBlobOverHttp(http, digest, target),
    loggedBy: async () => v.loggedBy ?? undefined,
    usedBy: async () => {
      // Fresh on every call: consumers come and go.
      return (await apiGet(http, route, key)).usedBy;
    },
  };
  return artifactFromVersion(
    {
      entity: v.entity,
      project: v.project,
      name: v.name,
      type: v.type,
      version: v.version,
      state: v.state,
      digest: v.digest,
      aliases: v.aliases,
      tags: v.tags,
      description: v.description,
      metadataJson: JSON.stringify(v.metadata ?? {}),
      entries: v.files,
      size: v.size,
      loggedBy: v.loggedBy ? `${v.loggedBy.entity}/${v.loggedBy.project}/${v.loggedBy.runId}` : '',
      deduplicated: false,
      createdAt: v.createdAt,
      distributedId: '',
    },
    source,
  );
}
