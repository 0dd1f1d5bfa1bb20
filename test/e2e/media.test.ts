import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJson } from '@cohort/protocol';
import { Audio, Html, Image, Table, init, plot, syncRunDir } from '@cohort/sdk';
import { embeddedServer } from '../harness/embedded-server.js';

const quiet = { silent: true, flushIntervalMs: 5 } as const;

/** Logged media end to end: the SDK stores each as a run file in the blob store, the HTTP API serves it typed. */
describe('media as files in the blob store', () => {
  const server = embeddedServer('file');

  const fileUrl = (runId: string, path: string): string => `${server.coordinator.httpUrl}/api/v1/runs/local/media/${runId}/files/${path}`;
  const sha256 = (bytes: ArrayBuffer): string => createHash('sha256').update(Buffer.from(bytes)).digest('hex');

  it('uploads image, table, HTML and audio files and serves each with its type, nosniff and a disposition', async () => {
    const wav = join(server.runsDir, 'beep.wav');
    await writeFile(wav, Buffer.from('RIFF....WAVEfmt '));
    const run = await init({ project: 'media', dir: join(server.runsDir, 'online'), settings: quiet });
    const table = new Table({ columns: ['epoch', 'acc'], data: [[0, 0.5], [1, 0.75]] });
    run.log({
      img: new Image({ width: 2, height: 1, channels: 3, data: Uint8Array.of(255, 0, 0, 0, 0, 255) }, { caption: 'red, blue' }),
      preds: table,
      curve: plot.line(table, 'epoch', 'acc'),
      page: new Html('<script>window.__pwned = 1</script><p>hi</p>'),
      beep: Audio.fromFile(wav),
    });
    await run.finish();
    const back = await server.api.run(`media/${run.id}`);
    const img = back.summary['img'] as Record<string, unknown>;
    expect(img).toMatchObject({ _type: 'image', format: 'png', width: 2, height: 1, caption: 'red, blue' });
    expect(img).not.toHaveProperty('data');

    const res = await fetch(fileUrl(run.id, String(img['path'])));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-disposition')).toMatch(/^inline; filename="[0-9a-f]{20}\.png"/);
    expect(sha256(await res.arrayBuffer())).toBe(img['sha256']);

    const preds = back.summary['preds'] as Record<string, unknown>;
    expect(preds).toMatchObject({ _type: 'table', ncols: 2, nrows: 2 });
    const tableRes = await fetch(fileUrl(run.id, String(preds['path'])));
    expect(tableRes.headers.get('content-type')).toBe('application/json');
    expect(parseJson(await tableRes.text())).toEqual({ columns: ['epoch', 'acc'], data: [[0, 0.5], [1, 0.75]] });
    expect(back.summary['curve']).toMatchObject({ _type: 'table', path: preds['path'], plot: { kind: 'line', x: 'epoch', y: 'acc' } });

    const page = await fetch(fileUrl(run.id, String((back.summary['page'] as { path: string }).path)));
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe('sandbox');
    const beep = await fetch(fileUrl(run.id, String((back.summary['beep'] as { path: string }).path)));
    expect(beep.headers.get('content-type')).toBe('audio/wav');
    // The media are the run's files, as in W&B.
    expect((await back.files()).map((f) => f.path).filter((p) => p.startsWith('media/')).sort()).toEqual(
      [img['path'], preds['path'], (back.summary['page'] as { path: string }).path, (back.summary['beep'] as { path: string }).path].map(String).sort(),
    );
  });

  it('keeps an offline run\'s media beside its WAL and uploads them with `cohort sync`', async () => {
    const run = await init({ project: 'media', mode: 'offline', dir: join(server.runsDir, 'offline'), settings: quiet });
    run.log({ img: new Image([[0, 128, 255]]) });
    const descriptor = run.summary.get('img') as { path: string; sha256: string };
    await run.finish();
    expect(existsSync(join(run.dir, 'files', ...descriptor.path.split('/')))).toBe(true);
    const [result] = await syncRunDir(run.dir, { url: server.coordinator.httpUrl });
    expect(result).toMatchObject({ runId: run.id, records: expect.any(Number) });
    expect(result!.error).toBeUndefined();
    const res = await fetch(fileUrl(run.id, descriptor.path));
    expect(res.status).toBe(200);
    expect(sha256(await res.arrayBuffer())).toBe(descriptor.sha256);
  });
});
