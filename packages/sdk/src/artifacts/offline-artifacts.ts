import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CohortError, isPlainObject } from '@cohort/protocol';
import { hashFile, type AssetClient, type WireEntry, type WireRunRef } from '../transport/asset-client.js';
import { saveManifest, type ManifestHead } from './save-manifest.js';

/**
 * Artifacts of an offline run (docs/run-semantics.md §7): `logArtifact`
 * copies each file into `<run dir>/artifacts/blobs/<sha256>` and writes the
 * manifest as `<run dir>/artifacts/<n>.json`, in call order; `cohort sync`
 * uploads the blobs and logs each manifest after it opened the run, then
 * renames it `<n>.synced.json`.
 */

/** What an offline `logArtifact` keeps: a `SaveArtifact` request less its run. */
interface OfflineArtifactFile extends Omit<ManifestHead, 'run'> {
  readonly version: 1;
  readonly entries: WireEntry[];
}

const DIR = 'artifacts';
const PENDING = /^(\d{6})\.json$/;

/** Copies the artifact's files into the run folder and records its manifest; returns the entries as stored (digests of the copies). */
export async function writeOfflineArtifact(
  runDir: string,
  head: Omit<ManifestHead, 'run'>,
  entries: ReadonlyArray<WireEntry & { localPath?: string }>,
): Promise<WireEntry[]> {
  const dir = join(runDir, DIR);
  const blobs = join(dir, 'blobs');
  await mkdir(blobs, { recursive: true });
  const stored: WireEntry[] = [];
  for (const e of entries) {
    if (e.localPath === undefined || e.ref !== '') {
      stored.push({ path: e.path, digest: e.digest, size: e.size, ref: e.ref });
      continue;
    }
    // Hash the copy, not the source: the file may change after logArtifact returns, the copy does not.
    const part = join(blobs, `.${process.pid}-${Math.random().toString(36).slice(2)}.part`);
    await copyFile(e.localPath, part);
    const h = await hashFile(part);
    const target = join(blobs, h.digest);
    if (await stat(target).then(() => true, () => false)) await rm(part, { force: true });
    else await rename(part, target);
    stored.push({ path: e.path, digest: h.digest, size: h.size, ref: '' });
  }
  const n = (await readdir(dir)).filter((f) => /^\d{6}\./.test(f)).length;
  const file: OfflineArtifactFile = { version: 1, ...head, entries: stored };
  const path = join(dir, `${String(n).padStart(6, '0')}.json`);
  await writeFile(`${path}.part`, JSON.stringify(file));
  await rename(`${path}.part`, path);
  return stored;
}

/** `cohort sync`: logs the artifacts an offline run recorded, in order; returns how many. */
export async function syncOfflineArtifacts(client: AssetClient, run: WireRunRef, runDir: string): Promise<number> {
  const dir = join(runDir, DIR);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((f) => PENDING.test(f)).sort();
  for (const name of names) {
    const path = join(dir, name);
    const file = parseFile(await readFile(path, 'utf8'), path);
    const local = file.entries.filter((e) => e.ref === '').map((e) => ({ localPath: join(dir, 'blobs', e.digest), digest: e.digest, size: e.size }));
    await client.uploadMissing(local);
    const { version: _v, entries, ...head } = file;
    void _v;
    await saveManifest(client, { ...head, run }, entries, 'log', '', 0, 0);
    await rename(path, path.replace(PENDING, '$1.synced.json'));
  }
  return names.length;
}

function parseFile(text: string, path: string): OfflineArtifactFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CohortError('DATA_LOSS', `${path}: not JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(value) || value['version'] !== 1 || !Array.isArray(value['entries']) || typeof value['name'] !== 'string') {
    throw new CohortError('DATA_LOSS', `${path}: not an offline artifact of version 1`);
  }
  return value as unknown as OfflineArtifactFile;
}
