import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore, parseS3Url } from './s3.js';
import { startS3, type S3Service } from '../../../../test/harness/s3-service.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function* chunks(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

let s3: S3Service;
let store: S3BlobStore;

beforeAll(async () => {
  s3 = await startS3();
  store = await S3BlobStore.open(`s3://${s3.bucket}/team/blobs`, {
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    partSize: 5 * 1024 * 1024,
  });
}, 60_000);

afterAll(async () => {
  await store?.close();
  await s3?.stop();
});

describe('S3BlobStore on a real S3 API (s3rver)', () => {
  it('stores a blob under its sha256 once, reads it back, lists and deletes it', async () => {
    const data = Buffer.from('hello s3 blobs');
    const d = sha(data);
    expect(await store.missing([d])).toEqual([d]);
    expect(await store.put(chunks(data, 5), { digest: d, size: data.length })).toEqual({ digest: d, size: data.length, stored: true });
    expect(await store.put(chunks(data, 3), { digest: d, size: data.length })).toEqual({ digest: d, size: data.length, stored: false });
    expect(await store.stat(d)).toBe(data.length);
    expect((await readAll(await store.open(d))).toString()).toBe('hello s3 blobs');
    const listed = [];
    for await (const b of store.list()) listed.push(b);
    expect(listed).toContainEqual(expect.objectContaining({ digest: d, size: data.length }));
    await store.delete([d]);
    expect(await store.missing([d])).toEqual([d]);
  });

  it('uploads a blob larger than a part as a multipart upload, and reads it back in chunks of the asked size', async () => {
    const data = randomBytes(12 * 1024 * 1024 + 123);
    const d = sha(data);
    expect(await store.put(chunks(data, 1024 * 1024), { digest: d, size: data.length })).toEqual({ digest: d, size: data.length, stored: true });
    expect(await store.stat(d)).toBe(data.length);
    const parts: Buffer[] = [];
    for await (const c of await store.open(d, { highWaterMark: 1024 * 1024 })) {
      expect((c as Buffer).length).toBeLessThanOrEqual(1024 * 1024);
      parts.push(c as Buffer);
    }
    expect(sha(Buffer.concat(parts))).toBe(d);
  }, 60_000);

  it('refuses bytes that do not hash to the named digest and leaves no object under it', async () => {
    const data = randomBytes(6 * 1024 * 1024);
    const wrong = 'e'.repeat(64);
    await expect(store.put(chunks(data, 1024 * 1024), { digest: wrong, size: data.length })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(store.put(chunks(Buffer.from('abc'), 2), { digest: sha(Buffer.from('abc')), size: 4 })).rejects.toThrow(/said 4 bytes, got 3/);
    expect(await store.missing([wrong, sha(Buffer.from('abc'))])).toEqual([wrong, sha(Buffer.from('abc'))]);
    expect(await store.dropStaleUploads(Date.now() + 60_000)).toBe(0);
  }, 60_000);

  it('stores bytes without a named digest through a temporary object', async () => {
    const data = Buffer.from('no digest given');
    expect(await store.put(chunks(data, 4))).toEqual({ digest: sha(data), size: data.length, stored: true });
    expect(await store.put(chunks(data, 4))).toEqual({ digest: sha(data), size: data.length, stored: false });
    const listed: string[] = [];
    for await (const b of store.list()) listed.push(b.digest);
    expect(listed).toContain(sha(data));
    expect(await store.dropStaleUploads(Date.now() + 60_000)).toBe(0);
  });

  it('signs a URL that serves the blob without the store, with the asked headers', async () => {
    const data = Buffer.from('presigned bytes');
    const d = sha(data);
    await store.put(chunks(data, 100), { digest: d, size: data.length });
    const url = await store.downloadUrl(d, { expiresInSeconds: 60, contentType: 'text/plain', contentDisposition: 'attachment; filename="x.txt"' });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(await res.text()).toBe('presigned bytes');
    // s3rver does not check V4 signatures or their expiry; the URL carries both for S3 proper to check.
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('60');
    expect(new URL(url).searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a digest that is not 64 hex characters and a bad URL, naming the rule', async () => {
    await expect(store.stat('../x')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(store.open('a'.repeat(64))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(parseS3Url('s3://bucket/a/b/')).toEqual({ bucket: 'bucket', prefix: 'a/b/' });
    expect(parseS3Url('s3://bucket')).toEqual({ bucket: 'bucket', prefix: '' });
    expect(() => parseS3Url('http://bucket/x')).toThrow(/expected s3:\/\/bucket\[\/prefix\]/);
    expect(() => parseS3Url('s3://Bucket_1/x')).toThrow(/lower-case/);
    expect(() => parseS3Url('s3://bucket/a/../b')).toThrow(/"\.\."/);
    await expect(S3BlobStore.open(`s3://no-such-bucket/x`, { endpoint: s3.endpoint, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } })).rejects.toThrow(/does not answer/);
  });
});
