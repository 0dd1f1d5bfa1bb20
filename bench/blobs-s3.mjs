// npm run bench, S3 blob part: one file up and down through a coordinator whose blobs are on
// S3-compatible object storage (s3rver from npm, a real S3 API over a local folder, in its own
// process), beside the same transfers straight between the AWS SDK and s3rver in the same run.
// Downloads both streamed through the coordinator (gRPC) and redirected to a presigned URL (HTTP 302).
// BENCH_S3_BLOB_MB sets the size (default 256).
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { AssetClient, hashFile } from '../packages/sdk/dist/transport/asset-client.js';
import { CLI, fmt, freePort, printTable, timed, writeRandomFile } from './lib.mjs';

const KEY = 'S3RVER';

async function startS3rver(dir, bucket) {
  const require = createRequire(import.meta.url);
  const bin = join(dirname(require.resolve('s3rver/package.json')), 'bin', 's3rver.js');
  const port = await freePort();
  const child = spawn(process.execPath, [bin, '-d', dir, '-a', '127.0.0.1', '-p', String(port), '--silent', '--no-vhost-buckets', '--configure-bucket', bucket], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 400; i++) {
    if (await fetch(endpoint).then(() => true, () => false)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { endpoint, stop: () => (child.kill('SIGTERM'), once(child, 'exit')) };
}

async function startServer(dataDir, args, env) {
  const child = spawn(process.execPath, [CLI, 'server', '--data', dataDir, '--grpc-port', '0', '--http-port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, COHORT_LOG_LEVEL: 'warn', ...env },
  });
  for await (const line of createInterface({ input: child.stdout })) {
    const m = /^cohort server ready grpc=(\S+) http=(\S+)/.exec(line);
    if (m) return { grpcAddress: m[1], httpUrl: m[2], stop: () => (child.kill('SIGTERM'), once(child, 'exit')) };
  }
  throw new Error('cohort server exited before it was ready');
}

/** Prints the S3 blob table; `tmp` is the bench's scratch folder. */
export async function benchBlobsS3(tmp) {
  const mb = Number(process.env.BENCH_S3_BLOB_MB ?? 256);
  const bucket = 'bench';
  const dir = join(tmp, 's3-bench');
  await mkdir(join(dir, 's3'), { recursive: true });
  const file = join(dir, 'blob.bin');
  await writeRandomFile(file, mb);
  const { size } = await stat(file);
  const s3 = await startS3rver(join(dir, 's3'), bucket);
  const env = { AWS_ACCESS_KEY_ID: KEY, AWS_SECRET_ACCESS_KEY: KEY, AWS_REGION: 'us-east-1' };
  const server = await startServer(join(dir, 'data'), ['--blob-store', `s3://${bucket}/blobs`, '--s3-endpoint', s3.endpoint, '--blob-redirect-seconds', '60'], env);
  const client = new AssetClient(server.grpcAddress);
  const sdk = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: KEY, secretAccessKey: KEY }, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  try {
    const rawUpMs = await timed(() => new Upload({ client: sdk, params: { Bucket: bucket, Key: 'raw/blob.bin', Body: createReadStream(file) }, partSize: 8 * 1024 * 1024, queueSize: 2 }).done());
    const rawDownMs = await timed(async () => {
      const got = await sdk.send(new GetObjectCommand({ Bucket: bucket, Key: 'raw/blob.bin' }));
      await pipeline(got.Body, createWriteStream(join(dir, 'raw-down.bin')));
    });
    const { digest } = await hashFile(file);
    const upMs = await timed(() => client.uploadFile(file, digest, size));
    const grpcDownMs = await timed(() => client.downloadTo(digest, join(dir, 'grpc-down.bin')));
    const redirectDownMs = await timed(async () => {
      const res = await fetch(`${server.httpUrl}/api/v1/blobs/${digest}`);
      if (!res.ok || !res.redirected) throw new Error(`expected a redirected download, got HTTP ${res.status}`);
      await pipeline(Readable.fromWeb(res.body), createWriteStream(join(dir, 'http-down.bin')));
    });
    const rate = (ms) => fmt(size / 1024 / 1024 / (ms / 1000));
    printTable(`(d2) blobs on S3 (s3rver, its own process): one ${fmt(mb)} MiB file, coordinator in its own process`, ['path', 'MB/s', 'seconds'], [
      ['raw: AWS SDK multipart upload straight to s3rver', rate(rawUpMs), fmt(rawUpMs / 1000, 2)],
      ['raw: AWS SDK GetObject straight from s3rver', rate(rawDownMs), fmt(rawDownMs / 1000, 2)],
      ['upload through the coordinator (UploadBlob → hashed multipart to S3)', rate(upMs), fmt(upMs / 1000, 2)],
      ['download streamed through the coordinator (DownloadBlob)', rate(grpcDownMs), fmt(grpcDownMs / 1000, 2)],
      ['download redirected (GET /api/v1/blobs → 302 → presigned S3 URL)', rate(redirectDownMs), fmt(redirectDownMs / 1000, 2)],
    ]);
  } finally {
    client.close();
    sdk.destroy();
    await server.stop();
    await s3.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const tmp = mkdtempSync(join(tmpdir(), 'cohort-bench-s3-'));
  try {
    await benchBlobsS3(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
