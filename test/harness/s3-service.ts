import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stopChild, waitForPort } from './child-process.js';
import { freePort } from './free-port.js';

/** A private S3 API server for a test file, and how to stop it. */
export interface S3Service {
  /** `http://127.0.0.1:PORT`: the endpoint (path-style addressing). */
  endpoint: string;
  /** A bucket that exists, empty at start. */
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  stop(): Promise<void>;
}

/** s3rver's fixed credentials: it checks signatures against these. */
const S3RVER_KEY = 'S3RVER';

/**
 * Starts `s3rver` (the npm devDependency: a real S3 REST API over a folder,
 * with SigV4, multipart uploads and presigned URLs) in a child process on a
 * free loopback port, over a private temporary folder, with one empty bucket.
 * Each test file starts its own, like the private Redis and Postgres.
 */
export async function startS3(bucket = 'cohort-test'): Promise<S3Service> {
  const require = createRequire(import.meta.url);
  const bin = join(dirname(require.resolve('s3rver/package.json')), 'bin', 's3rver.js');
  const dir = await mkdtemp(join(tmpdir(), 'cohort-s3rver-'));
  const port = await freePort();
  const child = spawn(process.execPath, [bin, '-d', dir, '-a', '127.0.0.1', '-p', String(port), '--silent', '--no-vhost-buckets', '--configure-bucket', bucket], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString();
  });
  try {
    await waitForPort(port, child, 's3rver', () => stderr, 20_000);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    region: 'us-east-1',
    accessKeyId: S3RVER_KEY,
    secretAccessKey: S3RVER_KEY,
    async stop() {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
