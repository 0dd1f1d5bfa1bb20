import { MAX_MANIFEST_ENTRIES_PER_REQUEST } from '@cohort/protocol';
import type { AssetClient, WireArtifactVersion, WireEntry, WireSaveArtifact } from '../transport/asset-client.js';

/** A `SaveArtifact` request without its entries, mode and distributed id. */
export type ManifestHead = Omit<WireSaveArtifact, 'entries' | 'mode' | 'distributedId' | 'expectedWriters' | 'waitMs'>;

/**
 * Saves one manifest whose blobs are on the server: one `SaveArtifact`, or,
 * for a manifest too large for one request, upserts of a private id and one
 * finish. Used by a live run and by `cohort sync` of an offline run's artifacts.
 */
export async function saveManifest(
  client: AssetClient,
  head: ManifestHead,
  entries: readonly WireEntry[],
  mode: 'log' | 'upsert' | 'finish',
  distributedId: string,
  expectedWriters: number,
  waitMs: number,
): Promise<WireArtifactVersion> {
  const base = { ...head, expectedWriters: 0, waitMs: 0 };
  if (entries.length <= MAX_MANIFEST_ENTRIES_PER_REQUEST) {
    return client.saveArtifact({ ...base, entries: [...entries], mode, distributedId, expectedWriters, waitMs });
  }
  const id = mode === 'log' ? `log-${head.run.runId}-${Date.now()}-${Math.random().toString(36).slice(2)}` : distributedId;
  for (let i = 0; i < entries.length; i += MAX_MANIFEST_ENTRIES_PER_REQUEST) {
    await client.saveArtifact({ ...base, entries: entries.slice(i, i + MAX_MANIFEST_ENTRIES_PER_REQUEST), mode: 'upsert', distributedId: id });
  }
  return client.saveArtifact({ ...base, entries: [], mode: mode === 'upsert' ? 'upsert' : 'finish', distributedId: id, expectedWriters, waitMs });
}
