import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, utimes, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EACH_STORE } from '../../../../test/harness/stores.js';
import { collectBlobGarbage } from './blob-gc.js';
import { LocalBlobStore } from './local-blob-store.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

async function* once(s: string): AsyncGenerator<Buffer> {
  yield Buffer.from(s);
}

async function withBlobs(fn: (blobs: LocalBlobStore, root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'cohort-gc-test-'));
  try {
    await using blobs = await LocalBlobStore.open(root);
    await fn(blobs, root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

describe.each(EACH_STORE)('blob garbage collection over a local folder (%s)', (_name, open) => {
  it('deletes content no run file or artifact references, only after a mark older than the grace period', async () => {
    await using s = await open();
    await withBlobs(async (blobs) => {
      const a = s.store.artifacts;
      for (const c of ['run file', 'artifact file', 'orphan']) await blobs.put(once(c));
      await a.putRunFiles(1, [{ path: 'media/images/x.png', digest: sha('run file'), size: 8, ref: '' }], 1);
      await a.save({ mode: 'log', entity: 'e', project: 'p', name: 'data', type: 'dataset', runPk: 1, distributedId: '', writer: '', description: '', metadataJson: '{}', aliases: ['latest'], tags: [], entries: [{ path: 'f', digest: sha('artifact file'), size: 13, ref: '' }], now: 1 });
      const t0 = Date.now() + 1000;
      const grace = 60_000;
      // Younger than the grace period: not even marked.
      expect(await collectBlobGarbage({ blobs, artifacts: a, graceMs: grace, now: t0 })).toMatchObject({ scanned: 3, unreferenced: 0, deleted: 0 });
      // Old enough: marked, not deleted in the pass that marks it.
      expect(await collectBlobGarbage({ blobs, artifacts: a, graceMs: grace, now: t0 + grace })).toMatchObject({ unreferenced: 1, deleted: 0 });
      expect(await collectBlobGarbage({ blobs, artifacts: a, graceMs: grace, now: t0 + grace + 1000 })).toMatchObject({ unreferenced: 1, deleted: 0 });
      // The dry run says what would go and changes nothing.
      const dry = await collectBlobGarbage({ blobs, artifacts: a, graceMs: grace, now: t0 + 2 * grace + 1, dryRun: true });
      expect(dry).toMatchObject({ deleted: 1, deletedDigests: [sha('orphan')] });
      expect(await blobs.missing([sha('orphan')])).toEqual([]);
      const done = await collectBlobGarbage({ blobs, artifacts: a, graceMs: grace, now: t0 + 2 * grace + 1 });
      expect(done).toMatchObject({ scanned: 3, deleted: 1, deletedDigests: [sha('orphan')] });
      expect(await blobs.missing([sha('run file'), sha('artifact file'), sha('orphan')])).toEqual([sha('orphan')]);
      expect(await collectBlobGarbage({ blobs, artifacts: a, graceMs: grace, now: t0 + 3 * grace })).toMatchObject({ scanned: 2, deleted: 0 });
    });
  });

  it('keeps a marked blob that was referenced, uploaded again or asked about before the sweep', async () => {
    await using s = await open();
    await withBlobs(async (blobs) => {
      const a = s.store.artifacts;
      for (const c of ['referenced later', 'uploaded again', 'asked about', 'left alone']) await blobs.put(once(c));
      const t0 = Date.now() + 1000;
      const grace = 60_000;
      expect(await collectBlobGarbage({ blobs, artifacts: a, graceMs: grace, now: t0 + grace })).toMatchObject({ unreferenced: 4 });
      // Between the mark and the sweep: a commit references one, the coordinator unmarks what clients uploaded or asked about.
      await a.putRunFiles(2, [{ path: 'late.txt', digest: sha('referenced later'), size: 16, ref: '' }], 2);
      await a.unmarkBlobs([sha('uploaded again'), sha('asked about')]);
      const swept = await collectBlobGarbage({ blobs, artifacts: a, graceMs: grace, now: t0 + 2 * grace + 1 });
      expect(swept.deletedDigests).toEqual([sha('left alone')]);
      expect(await blobs.missing([sha('referenced later'), sha('uploaded again'), sha('asked about')])).toEqual([]);
      // Unmarked ones start their clock again: marked by this pass, deleted a grace period later.
      expect((await collectBlobGarbage({ blobs, artifacts: a, graceMs: grace, now: t0 + 3 * grace + 2 })).deletedDigests.sort()).toEqual([sha('asked about'), sha('uploaded again')].sort());
    });
  });

  it('never lists an upload in flight, and drops a part file abandoned longer than the grace period', async () => {
    await using s = await open();
    await withBlobs(async (blobs, root) => {
      const a = s.store.artifacts;
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const body = 'a slow upload';
      async function* slow(): AsyncGenerator<Buffer> {
        yield Buffer.from(body.slice(0, 4));
        await gate;
        yield Buffer.from(body.slice(4));
      }
      const uploading = blobs.put(slow(), { digest: sha(body), size: body.length });
      await blobs.put(once('old orphan'));
      const hourAgo = new Date(Date.now() - 3_600_000);
      await utimes(blobs.pathOf(sha('old orphan')), hourAgo, hourAgo);
      await mkdir(join(root, 'tmp'), { recursive: true });
      await writeFile(join(root, 'tmp', 'abandoned.part'), 'x');
      await utimes(join(root, 'tmp', 'abandoned.part'), hourAgo, hourAgo);
      await expect.poll(async () => (await readdir(join(root, 'tmp'))).length).toBe(2);
      const grace = 10 * 60_000;
      const t0 = Date.now();
      // The upload's part file is being written: neither listed nor stale. The old orphan is marked.
      expect(await collectBlobGarbage({ blobs, artifacts: a, graceMs: grace, now: t0 })).toMatchObject({ scanned: 1, unreferenced: 1, deleted: 0, staleUploads: 1 });
      release();
      expect(await uploading).toMatchObject({ digest: sha(body), stored: true });
      // A grace period later (by this pass's clock): the orphan goes; the upload, complete now, is at most marked by this pass.
      const later = await collectBlobGarbage({ blobs, artifacts: a, graceMs: grace, now: t0 + grace + 1 });
      expect(later).toMatchObject({ scanned: 2, deletedDigests: [sha('old orphan')], staleUploads: 0 });
      expect(await blobs.missing([sha(body)])).toEqual([]);
      expect(await readdir(join(root, 'tmp'))).toEqual([]);
    });
  });
});
