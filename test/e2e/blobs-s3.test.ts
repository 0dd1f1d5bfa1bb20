import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { Api, Artifact, init, type Run } from '@cohort/sdk';
import { collectBlobGarbage } from '@cohort/store';
import { AssetClient } from '../../packages/sdk/src/transport/asset-client.js';
import { loadAssetServices } from '../../apps/coordinator/src/blobs/load-asset-services.js';
import { startS3, type S3Service } from '../harness/s3-service.js';
import { teamKey } from '../harness/team-key.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const MiB = 1024 * 1024;

/**
 * Blobs on S3 end to end: a real coordinator (embedded, `--blob-store
 * s3://...`) over a real S3 API server (s3rver in a child process), the SDK
 * logging and downloading artifacts, downloads redirected to presigned
 * URLs, and garbage collection while an upload is in flight.
 */
describe('blobs on S3-compatible object storage', () => {
  let s3: S3Service;
  let client: S3Client;
  let dataDir: string;
  let work: string;
  let coordinator: Coordinator;
  let api: Api;
  const runs: Run[] = [];
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    s3 = await startS3('cohort-blobs');
    // The usual AWS settings: the coordinator finds its credentials where any AWS tool would.
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) saved[k] = process.env[k];
    process.env['AWS_ACCESS_KEY_ID'] = s3.accessKeyId;
    process.env['AWS_SECRET_ACCESS_KEY'] = s3.secretAccessKey;
    process.env['AWS_REGION'] = s3.region;
    client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
    dataDir = await mkdtemp(join(tmpdir(), 'cohort-s3-data-'));
    work = await mkdtemp(join(tmpdir(), 'cohort-s3-work-'));
    coordinator = await startCoordinator({
      dataDir,
      grpcPort: 0,
      httpPort: 0,
      blobStore: `s3://${s3.bucket}/team-a/blobs`,
      s3Endpoint: s3.endpoint,
      blobRedirectSeconds: 120,
      blobGcIntervalMs: 0,
    });
    process.env['COHORT_URL'] = coordinator.httpUrl;
    api = new Api({ baseUrl: coordinator.httpUrl });
  }, 60_000);

  afterAll(async () => {
    delete process.env['COHORT_URL'];
    for (const r of runs) await r.finish().catch(() => undefined);
    await coordinator?.close();
    client?.destroy();
    await s3?.stop();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    for (const d of [dataDir, work]) if (d !== undefined) await rm(d, { recursive: true, force: true });
  });

  const objects = async (prefix = 'team-a/blobs/'): Promise<string[]> => {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) out.push(o.Key!.slice(prefix.length));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out.sort();
  };

  it('stores an artifact\'s files as sha256-named objects once (a large one in parts), and downloads them through presigned redirects', async () => {
    const dir = join(work, 'ds');
    await mkdir(join(dir, 'sub'), { recursive: true });
    const big = randomBytes(20 * MiB + 17);
    await writeFile(join(dir, 'weights.bin'), big);
    await writeFile(join(dir, 'sub', 'a.txt'), 'alpha');
    await writeFile(join(dir, 'sub', 'b.txt'), 'alpha');
    const run = await init({ project: 's3', dir: join(work, 'runs'), settings: { silent: true, systemMetricsSeconds: 0 } });
    runs.push(run);
    const first = new Artifact('dataset', 'dataset');
    first.addDir(dir);
    await run.logArtifact(first);
    expect(first).toMatchObject({ version: 'v0', state: 'COMMITTED' });
    // Two objects: the same bytes in two files are one blob.
    expect(await objects()).toEqual([sha(big), sha('alpha')].sort());

    // The same content again under another name: no new object.
    const again = new Artifact('copy', 'dataset');
    again.addFile(join(dir, 'sub', 'a.txt'), { name: 'copy.txt' });
    await run.logArtifact(again);
    expect(await objects()).toHaveLength(2);

    // A download answers 302 to the object store; the bytes never pass through the coordinator.
    const res = await fetch(`${coordinator.httpUrl}/api/v1/blobs/${sha(big)}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(location.origin).toBe(s3.endpoint);
    expect(location.pathname).toBe(`/${s3.bucket}/team-a/blobs/${sha(big)}`);
    expect(location.searchParams.get('X-Amz-Expires')).toBe('120');
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    // Content not stored is refused by the coordinator, never signed.
    expect((await fetch(`${coordinator.httpUrl}/api/v1/blobs/${'0'.repeat(64)}`, { redirect: 'manual' })).status).toBe(404);

    // The SDK follows the redirect and checks every file against its digest.
    const art = await api.artifact('s3/dataset:v0');
    const root = await art.download(join(work, 'download'));
    await art.verify(root);
    expect(sha(await readFile(join(root, 'weights.bin')))).toBe(sha(big));
    // gRPC downloads stream from S3 through the coordinator.
    const assets = new AssetClient(coordinator.grpcAddress);
    await assets.downloadTo(sha(big), join(work, 'grpc-copy.bin'));
    expect(sha(await readFile(join(work, 'grpc-copy.bin')))).toBe(sha(big));
  }, 120_000);

  it('redirects only callers whose team may read the blob', async () => {
    const keyed = await startCoordinator({
      dataDir: ':memory:',
      grpcPort: 0,
      httpPort: 0,
      auth: 'keys',
      blobStore: `s3://${s3.bucket}/team-b`,
      s3Endpoint: s3.endpoint,
      blobRedirectSeconds: 60,
      blobGcIntervalMs: 0,
    });
    try {
      const owner = await teamKey(keyed, 'ann', 'owners');
      const other = await teamKey(keyed, 'bob', 'others');
      const body = Buffer.from('only for the owners');
      await new AssetClient(keyed.grpcAddress, { apiKey: owner }).uploadMissing([{ localPath: await file('owners.txt', body), digest: sha(body), size: body.length }]);
      const get = (key: string) => fetch(`${keyed.httpUrl}/api/v1/blobs/${sha(body)}`, { redirect: 'manual', headers: { authorization: `Bearer ${key}` } });
      expect((await get(owner)).status).toBe(302);
      // Followed with the key: fetch drops the Authorization header on the hop to the object store, as S3 needs.
      const followed = await fetch(`${keyed.httpUrl}/api/v1/blobs/${sha(body)}`, { headers: { authorization: `Bearer ${owner}` } });
      expect({ redirected: followed.redirected, status: followed.status, body: await followed.text() }).toEqual({ redirected: true, status: 200, body: 'only for the owners' });
      expect((await get(other)).status).toBe(404);
      expect((await fetch(`${keyed.httpUrl}/api/v1/blobs/${sha(body)}`, { redirect: 'manual' })).status).toBe(401);
    } finally {
      await keyed.close();
    }
  }, 60_000);

  it('collects unreferenced blobs and never one whose upload is in flight', async () => {
    const blobs = (await import('@cohort/store/s3')).S3BlobStore;
    const store = await blobs.open(`s3://${s3.bucket}/team-a/blobs`, { endpoint: s3.endpoint });
    try {
      const artifacts = coordinator.engine.store.artifacts;
      const orphan = Buffer.from('uploaded, never referenced');
      const assets = new AssetClient(coordinator.grpcAddress);
      await assets.uploadMissing([{ localPath: await file('orphan.txt', orphan), digest: sha(orphan), size: orphan.length }]);
      expect(await objects()).toContain(sha(orphan));

      // An upload in flight: the header and the first 6 MiB (one part) are in, the rest waits.
      const slow = randomBytes(12 * MiB);
      const services = loadAssetServices();
      const raw = new services.blobs.cohort.v1.Blobs(coordinator.grpcAddress, grpc.credentials.createInsecure());
      let uploadRest!: () => void;
      const done = new Promise<{ digest: string; stored: boolean }>((resolve, reject) => {
        const call = raw.UploadBlob((err, reply) => (err ? reject(err) : resolve(reply as { digest: string; stored: boolean })));
        call.write({ header: { digest: sha(slow), size: slow.length } });
        for (let i = 0; i < 6; i++) call.write({ data: slow.subarray(i * MiB, (i + 1) * MiB) });
        uploadRest = () => {
          for (let i = 6; i < 12; i++) call.write({ data: slow.subarray(i * MiB, (i + 1) * MiB) });
          call.end();
        };
      });
      // Give the first part time to reach the object store (the safety does not depend on it).
      await new Promise((r) => setTimeout(r, 300));

      // Grace 0: whatever is listed and unreferenced is marked in one pass and deleted in the next.
      const marked = await collectBlobGarbage({ blobs: store, artifacts, graceMs: 0 });
      expect(marked.deleted).toBe(0);
      await new Promise((r) => setTimeout(r, 20));
      const swept = await collectBlobGarbage({ blobs: store, artifacts, graceMs: 0 });
      expect(swept.deletedDigests).toEqual([sha(orphan)]);
      uploadRest();
      expect(await done).toMatchObject({ digest: sha(slow), stored: true });
      const left = await objects();
      expect(left).toContain(sha(slow));
      expect(left).not.toContain(sha(orphan));
      // Everything an artifact references is still there, and still downloads.
      const art = await api.artifact('s3/dataset:v0');
      await art.verify(await art.download(join(work, 'after-gc')));
      // The orphan's content can come back: the coordinator says it is missing and takes it again.
      expect(await assets.missing([sha(orphan)])).toEqual([sha(orphan)]);
      raw.close();
    } finally {
      await store.close();
    }
  }, 120_000);

  it('runs garbage collection as a scheduled task of the coordinator', async () => {
    const scheduled = await startCoordinator({
      dataDir: ':memory:',
      grpcPort: 0,
      httpPort: 0,
      blobStore: `s3://${s3.bucket}/team-c`,
      s3Endpoint: s3.endpoint,
      blobGcIntervalMs: 100,
      blobGcGraceMs: 0,
    });
    try {
      const orphan = Buffer.from('collected by the coordinator itself');
      const assets = new AssetClient(scheduled.grpcAddress);
      await assets.uploadMissing([{ localPath: await file('scheduled.txt', orphan), digest: sha(orphan), size: orphan.length }]);
      expect(await objects('team-c/')).toEqual([sha(orphan)]);
      // Marked by one pass, deleted by a later one: wait for it, however busy the machine is. (Watching the
      // bucket, not asking MissingBlobs: a MissingBlobs answer that it is stored would clear its mark.)
      await expect.poll(() => objects('team-c/'), { timeout: 30_000, interval: 100 }).toEqual([]);
    } finally {
      await scheduled.close();
    }
  }, 60_000);

  async function file(name: string, body: Buffer): Promise<string> {
    const path = join(work, name);
    await writeFile(path, body);
    return path;
  }
});
