import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeLogData } from '@cohort/protocol';
import { Image } from '../media/image.js';
import { collectMediaFiles } from '../media/media-file.js';
import { silentLogger } from '../logger.js';
import { MediaUploader } from './media-uploader.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('MediaUploader', () => {
  it('writes logged media into the run\'s files folder off the caller\'s turn (offline: nothing to upload)', async () => {
    const filesDir = await mkdtemp(join(tmpdir(), 'cohort-media-up-'));
    dirs.push(filesDir);
    const uploader = new MediaUploader({ filesDir, logger: silentLogger });
    const { value, files } = collectMediaFiles(() => normalizeLogData({ a: new Image([[1, 2]]), b: new Image([[1, 2]]) }));
    uploader.add(files);
    // The same image logged twice is one file.
    expect(value['a']).toEqual(value['b']);
    await uploader.flush();
    const path = (value['a'] as { path: string }).path;
    expect(new Uint8Array(await readFile(join(filesDir, ...path.split('/'))))).toEqual(files[0]!.bytes);
  });

  it('refuses more media than its bound waiting for the disk, naming it', async () => {
    const filesDir = await mkdtemp(join(tmpdir(), 'cohort-media-up-'));
    dirs.push(filesDir);
    const uploader = new MediaUploader({ filesDir, logger: silentLogger, maxPendingBytes: 100 });
    const file = (n: number) => ({ path: `media/x/${n}.bin`, sha256: String(n), bytes: new Uint8Array(60) });
    uploader.add([file(1)]);
    expect(() => uploader.add([file(2)])).toThrow('Expected logged media waiting for the disk to stay within 100 bytes, got 120');
    await uploader.flush();
    uploader.add([file(2)]);
    await uploader.flush();
    expect((await readFile(join(filesDir, 'media', 'x', '2.bin'))).length).toBe(60);
  });
});
