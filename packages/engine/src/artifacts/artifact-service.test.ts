import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalBlobStore } from '@cohort/store';
import { makeEngine, openRequest } from '../testing/fixtures.js';
import { ArtifactService, type SaveArtifactCall } from './artifact-service.js';

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

async function setup() {
  const engine = makeEngine();
  const dir = await mkdtemp(join(tmpdir(), 'cohort-artsvc-'));
  const blobs = await LocalBlobStore.open(dir);
  const service = new ArtifactService(engine.store, blobs, { defaultEntity: 'local', finishPollMs: 5 });
  await engine.openRun(openRequest({ runId: 'r0', group: 'g' }));
  await engine.openRun(openRequest({ runId: 'r1', group: 'g' }));
  const put = async (text: string) => {
    const data = Buffer.from(text);
    await blobs.put(once(data));
    return { digest: createHash('sha256').update(data).digest('hex'), size: data.length };
  };
  return {
    service,
    put,
    async [Symbol.asyncDispose]() {
      await engine.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const call = (over: Partial<SaveArtifactCall>): SaveArtifactCall => ({
  run: { entity: '', project: 'proj', runId: 'r0' },
  name: 'data',
  type: 'dataset',
  aliases: [],
  tags: [],
  description: '',
  metadataJson: '',
  entries: [],
  mode: 'upsert',
  distributedId: 'g',
  writer: '',
  expectedWriters: 0,
  waitMs: 0,
  ...over,
});

describe('ArtifactService', () => {
  it('commits a distributed version only once the expected writers upserted, and times out naming the count', async () => {
    await using s = await setup();
    const a = await s.put('rank 0');
    const b = await s.put('rank 1');
    await s.service.save(call({ entries: [{ path: 'r0', ...a, ref: '' }], writer: 'rank 0' }));
    await expect(s.service.save(call({ mode: 'finish', expectedWriters: 2, waitMs: 50 }))).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED', message: expect.stringContaining('1 of 2') });
    const finishing = s.service.save(call({ mode: 'finish', expectedWriters: 2, waitMs: 5000 }));
    await new Promise((r) => setTimeout(r, 30));
    await s.service.save(call({ run: { entity: '', project: 'proj', runId: 'r1' }, entries: [{ path: 'r1', ...b, ref: '' }], writer: 'rank 1' }));
    const done = await finishing;
    expect(done.version).toMatchObject({ state: 'COMMITTED', index: 0, fileCount: 2 });
    expect(done.loggedBy).toEqual({ entity: 'local', project: 'proj', runId: 'r0' });
  });

  it('refuses manifests naming blobs that were never uploaded, bad metadata, and unknown runs', async () => {
    await using s = await setup();
    await expect(s.service.save(call({ mode: 'log', entries: [{ path: 'x', digest: 'b'.repeat(64), size: 1, ref: '' }] }))).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    await expect(s.service.save(call({ mode: 'log', metadataJson: '[1]' }))).rejects.toThrow(/metadata/);
    await expect(s.service.save(call({ mode: 'nope' }))).rejects.toThrow(/mode/);
    await expect(s.service.save(call({ mode: 'upsert', distributedId: '' }))).rejects.toThrow(/distributedId/);
    await expect(s.service.save(call({ mode: 'log', run: { entity: '', project: 'proj', runId: 'ghost' } }))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const ok = await s.put('x');
    const dup = [{ path: 'a', ...ok, ref: '' }, { path: './a', ...ok, ref: '' }];
    await expect(s.service.save(call({ mode: 'log', entries: dup }))).rejects.toThrow(/unique/);
  });
});
