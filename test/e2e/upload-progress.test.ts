import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AssetClient, hashFile } from '../../packages/sdk/src/transport/asset-client.js';
import { embeddedServer } from '../harness/embedded-server.js';

/** A long upload tells its progress (a large artifact drew nothing for 15 s; docs/sdk.md). */
describe('uploading blobs', () => {
  const server = embeddedServer('file');

  it('reports the bytes sent of the missing files, up to their total, and nothing for what the server has', async () => {
    const files = await Promise.all(
      [3.5, 2.25].map(async (mib, i) => {
        const path = join(server.runsDir, `blob-${i}.bin`);
        await writeFile(path, randomBytes(Math.round(mib * 1024 * 1024)));
        return { localPath: path, ...(await hashFile(path)) };
      }),
    );
    const total = files[0]!.size + files[1]!.size;
    const client = new AssetClient(server.coordinator.grpcAddress);
    try {
      const seen: Array<[number, number]> = [];
      expect(await client.uploadMissing(files, { concurrency: 2, onProgress: (sent, all) => seen.push([sent, all]) })).toBe(2);
      // 1 MiB chunks: several reports, rising, ending at the total.
      expect(seen.length).toBeGreaterThanOrEqual(6);
      expect(seen.every(([, all]) => all === total)).toBe(true);
      expect(seen.every(([sent], i) => i === 0 || sent > seen[i - 1]![0])).toBe(true);
      expect(seen.at(-1)).toEqual([total, total]);
      const again: number[] = [];
      expect(await client.uploadMissing(files, { onProgress: (sent) => again.push(sent) })).toBe(0);
      expect(again).toEqual([]);
    } finally {
      client.close();
    }
  });
});
