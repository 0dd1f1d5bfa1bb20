import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { Api, CohortError, init } from '@cohort/sdk';
import * as grpc from '@grpc/grpc-js';
import { AssetClient, hashFile } from '../../packages/sdk/src/transport/asset-client.js';
import { callRaw, loadMethods } from '../fuzz/raw-grpc.js';

const quiet = { silent: true, flushIntervalMs: 5 } as const;

/** Every file under `dir`, relative, sorted ([] when it does not exist). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

describe('limits at the coordinator (maxRunsPerProject, maxFileBytes)', () => {
  let work: string;
  let blobDir: string;
  let coordinator: Coordinator;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'cohort-limits-'));
    blobDir = join(work, 'blobs');
    coordinator = await startCoordinator({ dataDir: join(work, 'data'), blobDir, grpcPort: 0, httpPort: 0, limits: { maxRunsPerProject: 2, maxFileBytes: 1000, maxMessageBytes: 256 * 1024 } });
    process.env['COHORT_URL'] = coordinator.httpUrl;
  });
  afterAll(async () => {
    await coordinator.close();
    await rm(work, { recursive: true, force: true });
  });

  it('refuses a third run in a project with RESOURCE_EXHAUSTED naming maxRunsPerProject, and resumes the others', async () => {
    const dir = join(work, 'runs');
    for (const id of ['r1', 'r2']) {
      const run = await init({ project: 'capped', id, dir, settings: quiet });
      run.log({ loss: 1 });
      await run.finish();
    }
    const refused = await init({ project: 'capped', id: 'r3', dir, settings: quiet }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(CohortError);
    expect(refused).toMatchObject({ code: 'RESOURCE_EXHAUSTED', message: expect.stringContaining('at most 2 are allowed (maxRunsPerProject)') });

    const api = new Api({ baseUrl: coordinator.httpUrl });
    expect((await api.runs('capped')).map((r) => r.id).sort()).toEqual(['r1', 'r2']);
    const resumed = await init({ project: 'capped', id: 'r1', resume: 'allow', dir, settings: quiet });
    expect(resumed.resumed).toBe(true);
    await resumed.finish();
  });

  it('stops reading an upload past maxFileBytes, answers RESOURCE_EXHAUSTED naming it, and keeps no partial file', async () => {
    const client = new AssetClient(coordinator.grpcAddress);
    try {
      const big = join(work, 'big.bin');
      await writeFile(big, Buffer.alloc(5000, 7));
      const digest = 'b'.repeat(64);
      // The header says too much: refused before any byte is read.
      await expect(client.uploadFile(big, digest, 5000)).rejects.toMatchObject({
        code: 'RESOURCE_EXHAUSTED',
        message: expect.stringContaining('UploadBlob: header.size is 5000 bytes; at most 1000 bytes are allowed per file (maxFileBytes)'),
      });
      // The header understates: the coordinator counts what arrives and stops at the limit.
      await expect(client.uploadFile(big, digest, 10)).rejects.toMatchObject({
        code: 'RESOURCE_EXHAUSTED',
        message: expect.stringContaining('more than 1000 bytes arrived; at most 1000 bytes are allowed per file (maxFileBytes)'),
      });
      expect(await filesUnder(blobDir)).toEqual([]);
      // A file within the limit still goes in.
      const small = join(work, 'small.bin');
      await writeFile(small, Buffer.alloc(1000, 1));
      const ok = await hashFile(small);
      expect(await client.uploadFile(small, ok.digest, ok.size)).toEqual({ stored: true });
      expect(await filesUnder(blobDir)).toEqual([join(ok.digest.slice(0, 2), ok.digest.slice(2, 4), ok.digest)]);
    } finally {
      client.close();
    }
  });

  it('checks the server\'s maxFileBytes in the SDK before any byte of the file goes out', async () => {
    // The server allows 1000 bytes, far below the 5 GiB default: the SDK learns it with MissingBlobs and refuses at once.
    const client = new AssetClient(coordinator.grpcAddress, { timeoutMs: 5000 });
    try {
      const file = join(work, 'sdk-big.bin');
      await writeFile(file, Buffer.alloc(5000, 3));
      const digest = createHash('sha256').update(Buffer.alloc(5000, 3)).digest('hex');
      await expect(client.uploadMissing([{ localPath: file, digest, size: 5000 }])).rejects.toMatchObject({
        code: 'RESOURCE_EXHAUSTED',
        message: `${file}: the file is 5000 bytes; at most 1000 bytes are allowed per file (maxFileBytes)`,
      });
      expect(await client.missing([digest])).toEqual([digest]);
      // A file within the server's bound goes up.
      const small = join(work, 'sdk-small.bin');
      await writeFile(small, 'small');
      const smallDigest = createHash('sha256').update('small').digest('hex');
      expect(await client.uploadMissing([{ localPath: small, digest: smallDigest, size: 5 }])).toBe(1);
    } finally {
      client.close();
    }
  });

  it('refuses a message over maxMessageBytes with RESOURCE_EXHAUSTED and opens nothing', async () => {
    const openRun = loadMethods().get('/cohort.v1.Coordinator/OpenRun')!;
    const client = new grpc.Client(coordinator.grpcAddress, grpc.credentials.createInsecure());
    try {
      const outcome = await callRaw(client, openRun, [openRun.encode({ project: 'big', runId: 'r', notes: 'n'.repeat(300 * 1024) })], 15_000);
      // grpc-js's own words: "Received message larger than max (307215 vs 262144)".
      expect(outcome).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, details: expect.stringMatching(/larger than max \(\d+ vs 262144\)/) });
      expect(await new Api({ baseUrl: coordinator.httpUrl }).runs('big')).toEqual([]);
    } finally {
      client.close();
    }
  });
});
