import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { startCoordinator } from '../src/index.js';
import { loadAssetServices } from '../src/blobs/load-asset-services.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function withServer(fn: (client: InstanceType<ReturnType<typeof loadAssetServices>['blobs']['cohort']['v1']['Blobs']>, blobDir: string) => Promise<void>): Promise<void> {
  const blobDir = await mkdtemp(join(tmpdir(), 'cohort-blobsvc-'));
  const coordinator = await startCoordinator({ grpcPort: 0, httpPort: 0, blobDir });
  const Blobs = loadAssetServices().blobs.cohort.v1.Blobs;
  const client = new Blobs(coordinator.grpcAddress, grpc.credentials.createInsecure());
  try {
    await fn(client, blobDir);
  } finally {
    client.close();
    await coordinator.close();
    await rm(blobDir, { recursive: true, force: true });
  }
}

describe('the Blobs service', () => {
  it('stores a streamed blob once and answers which digests are missing', async () => {
    await withServer(async (client) => {
      const data = Buffer.from('x'.repeat(3 * 1024 * 1024));
      const digest = sha(data);
      const missing = await new Promise<string[]>((resolve, reject) =>
        client.MissingBlobs({ digests: [digest] }, (err, r) => (err ? reject(err) : resolve(r!.missing))),
      );
      expect(missing).toEqual([digest]);
      const upload = (): Promise<{ stored: boolean }> =>
        new Promise((resolve, reject) => {
          const call = client.UploadBlob((err, r) => (err ? reject(err) : resolve({ stored: r!.stored })));
          call.write({ header: { digest, size: data.length } });
          for (let i = 0; i < data.length; i += 1024 * 1024) call.write({ data: data.subarray(i, i + 1024 * 1024) });
          call.end();
        });
      expect(await upload()).toEqual({ stored: true });
      expect(await upload()).toEqual({ stored: false });
      const chunks: Buffer[] = [];
      const call = client.DownloadBlob({ digest });
      for await (const m of call as AsyncIterable<{ data?: Buffer }>) if (m.data) chunks.push(m.data);
      expect(sha(Buffer.concat(chunks))).toBe(digest);
      await expect(
        new Promise((resolve, reject) => client.MissingBlobs({ digests: ['../etc'] }, (err, r) => (err ? reject(err) : resolve(r)))),
      ).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    });
  });

  it('keeps nothing from an upload that is cancelled or lies about its digest', async () => {
    await withServer(async (client, blobDir) => {
      const lie = await new Promise<grpc.ServiceError | null>((resolve) => {
        const call = client.UploadBlob((err) => resolve(err));
        call.write({ header: { digest: 'c'.repeat(64), size: 5 } });
        call.write({ data: Buffer.from('hello') });
        call.end();
      });
      expect(lie).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
      expect(lie!.details).toMatch(/hash to/);
      const cancelled = new Promise<grpc.ServiceError | null>((resolve) => {
        const call = client.UploadBlob((err) => resolve(err));
        call.write({ header: { digest: 'd'.repeat(64), size: 100 * 1024 * 1024 } });
        call.write({ data: Buffer.alloc(1024 * 1024) });
        setTimeout(() => call.cancel(), 100);
      });
      expect(await cancelled).toMatchObject({ code: grpc.status.CANCELLED });
      const deadline = Date.now() + 5000;
      for (;;) {
        const left = await readdir(join(blobDir, 'tmp'));
        if (left.length === 0) break;
        if (Date.now() > deadline) throw new Error(`temporary files left: ${left.join(', ')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const noHeader = await new Promise<grpc.ServiceError | null>((resolve) => {
        const call = client.UploadBlob((err) => resolve(err));
        call.write({ data: Buffer.from('no header') });
        call.end();
      });
      expect(noHeader).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    });
  });
});
