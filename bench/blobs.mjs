// npm run bench, blob part: upload and download MB/s of one file through the
// Blobs service (a coordinator in its own process), beside `cp` and
// `sha256sum` of the same file in the same run. BENCH_BLOB_MB sets the size.
import { execFile } from 'node:child_process';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AssetClient, hashFile } from '../packages/sdk/dist/transport/asset-client.js';
import { fmt, printTable, startServerProcess, timed, writeRandomFile } from './lib.mjs';

const run = promisify(execFile);

/** Prints the blob table; `tmp` is the bench's scratch folder. */
export async function benchBlobs(tmp) {
  const mb = Number(process.env.BENCH_BLOB_MB ?? 1024);
  const file = join(tmp, 'blob.bin');
  await writeRandomFile(file, mb);
  const { size } = await stat(file);
  const server = await startServerProcess(join(tmp, 'blob-server'));
  const client = new AssetClient(server.grpcAddress);
  try {
    const cpMs = await timed(() => run('cp', [file, join(tmp, 'blob-cp.bin')]));
    const shaMs = await timed(() => run('sha256sum', [file]));
    let digest = '';
    const hashMs = await timed(async () => ({ digest } = await hashFile(file)));
    const upMs = await timed(() => client.uploadFile(file, digest, size));
    const skipMs = await timed(async () => {
      const missing = await client.missing([digest]);
      if (missing.length > 0) throw new Error('the server lost the blob');
    });
    const downMs = await timed(() => client.downloadTo(digest, join(tmp, 'blob-down.bin')));
    const rate = (ms) => fmt(size / 1024 / 1024 / (ms / 1000));
    printTable(`(d) blobs: one ${fmt(mb)} MiB file, coordinator in its own process`, ['path', 'MB/s', 'seconds'], [
      ['raw: cp (same file)', rate(cpMs), fmt(cpMs / 1000, 2)],
      ['raw: sha256sum (same file)', rate(shaMs), fmt(shaMs / 1000, 2)],
      ['SDK: sha256 of the file (hashFile)', rate(hashMs), fmt(hashMs / 1000, 2)],
      ['upload (UploadBlob, streamed, server hashes + fsyncs)', rate(upMs), fmt(upMs / 1000, 2)],
      ['re-upload of the same content (MissingBlobs: skipped)', '-', fmt(skipMs / 1000, 3)],
      ['download (DownloadBlob, streamed, client hashes)', rate(downMs), fmt(downMs / 1000, 2)],
    ]);
  } finally {
    client.close();
    await server.stop();
    for (const f of ['blob.bin', 'blob-cp.bin', 'blob-down.bin']) await rm(join(tmp, f), { force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const tmp = mkdtempSync(join(tmpdir(), 'cohort-bench-blobs-'));
  try {
    await benchBlobs(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
