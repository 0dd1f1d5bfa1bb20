import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LocalBlobStore, openSqliteStore } from '@cohort/store';
import { runCli } from '../src/index.js';
import { startS3 } from '../../../test/harness/s3-service.js';
import { tempDir, testContext } from './helpers.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

async function* once(s: string): AsyncGenerator<Buffer> {
  yield Buffer.from(s);
}

describe('cohort gc blobs', () => {
  it('marks unreferenced content, lists what is due with --dry-run, then deletes it and keeps what a run file references', async () => {
    await using dir = await tempDir();
    const data = join(dir.path, 'data');
    mkdirSync(data, { recursive: true });
    {
      await using store = openSqliteStore(join(data, 'cohort.db'));
      await using blobs = await LocalBlobStore.open(join(data, 'blobs'));
      await blobs.put(once('kept'));
      await blobs.put(once('orphan'));
      await store.artifacts.putRunFiles(1, [{ path: 'kept.txt', digest: sha('kept'), size: 4, ref: '' }], 1);
    }
    const gc = async (...args: string[]) => {
      const ctx = testContext({ cwd: dir.path });
      const code = await runCli(['gc', 'blobs', '--data', 'data', '--grace-ms', '0', ...args], ctx);
      return { code, out: ctx.out(), err: ctx.err() };
    };
    const first = await gc();
    expect(first).toMatchObject({ code: 0, out: '' });
    expect(first.err).toMatch(/scanned 2 blobs \(10 bytes\); 1 unreferenced past the grace period; deleted 0/);
    await new Promise((r) => setTimeout(r, 10));
    const dry = await gc('--dry-run');
    expect(dry).toMatchObject({ code: 0, out: `would delete ${sha('orphan')}\n` });
    const done = await gc();
    expect(done).toMatchObject({ code: 0, out: `deleted ${sha('orphan')}\n` });
    await using blobs = await LocalBlobStore.open(join(data, 'blobs'));
    expect(await blobs.missing([sha('kept'), sha('orphan')])).toEqual([sha('orphan')]);
  });

  it('names what is wrong with the command line', async () => {
    await using dir = await tempDir();
    const run = async (...args: string[]) => {
      const ctx = testContext({ cwd: dir.path });
      return { code: await runCli(['gc', ...args], ctx), err: ctx.err() };
    };
    expect(await run()).toMatchObject({ code: 2, err: expect.stringContaining('expected what to collect: blobs') });
    expect(await run('blobs', '--postgres', 'postgres://db/x')).toMatchObject({ code: 2, err: expect.stringContaining('--blob-dir or --blob-store: required with --postgres') });
    expect(await run('blobs', '--grace-ms', 'soon')).toMatchObject({ code: 2, err: expect.stringContaining('--grace-ms: expected an integer') });
    expect(await run('blobs', '--blob-store', 's3://Bad_Bucket')).toMatchObject({ code: 1, err: expect.stringContaining('lower-case letters') });
    expect(await run('blobs', '--blob-dir', 'b', '--blob-store', 's3://bucket')).toMatchObject({ code: 2, err: expect.stringContaining('not both') });
  });

  it('serves blobs from --blob-store and collects them with cohort gc blobs --blob-store', async () => {
    await using dir = await tempDir();
    const s3 = await startS3();
    const env = { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: s3.region };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    const ctx = testContext({ cwd: dir.path, env });
    const served = runCli(['server', '--data', 'data', '--grpc-port', '0', '--http-port', '0', '--blob-store', `s3://${s3.bucket}/cli`, '--s3-endpoint', s3.endpoint, '--s3-force-path-style', '--blob-redirect-seconds', '30'], ctx);
    try {
      while (!ctx.out().includes('ready') && !ctx.err().includes('cohort server:')) await sleep(20);
      const http = /http=(\S+)/.exec(ctx.out())![1]!;
      // Nothing stored: 404 from the coordinator, no redirect signed.
      expect((await fetch(`${http}/api/v1/blobs/${sha('absent')}`, { redirect: 'manual' })).status).toBe(404);
      const gc = testContext({ cwd: dir.path, env });
      expect(await runCli(['gc', 'blobs', '--data', 'data', '--blob-store', `s3://${s3.bucket}/cli`, '--s3-endpoint', s3.endpoint, '--dry-run'], gc)).toBe(0);
      expect(gc.err()).toMatch(/scanned 0 blobs/);
      const bad = testContext({ cwd: dir.path, env });
      expect(await runCli(['server', '--blob-store', 's3://bucket', '--blob-redirect-seconds', 'soon'], bad)).toBe(2);
      expect(bad.err()).toMatch(/--blob-redirect-seconds/);
    } finally {
      ctx.abort();
      expect(await served).toBe(0);
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await s3.stop();
    }
  }, 60_000);
});
