import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { normalizeLogData, parseJson } from '@cohort/protocol';
import { Audio, Histogram, Html, Image, ModelWatcher, Table, Video, crc32, encodePng, plot } from './index.js';
import { collectMediaFiles, type MediaFile } from './media-file.js';

/** The descriptor of one media value as `run.log` makes it, and the file it names. */
function logged(value: { toLogValue(): unknown }): { d: Record<string, unknown>; file: MediaFile } {
  const { value: d, files } = collectMediaFiles(() => normalizeLogData({ v: value })['v'] as Record<string, unknown>);
  expect(files).toHaveLength(1);
  expect(d).toMatchObject({ path: files[0]!.path, sha256: files[0]!.sha256, size: files[0]!.bytes.length });
  return { d, file: files[0]! };
}

function jsonOf(file: MediaFile): unknown {
  return parseJson(Buffer.from(file.bytes).toString('utf8'));
}

/** A minimal PNG decoder for the test: 8-bit, non-interlaced, every filter type. */
function decodePng(png: Uint8Array): { width: number; height: number; channels: number; pixels: Uint8Array } {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.buffer, png.byteOffset, png.length);
  let at = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Uint8Array[] = [];
  for (;;) {
    const len = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + len);
    expect(view.getUint32(at + 8 + len), `CRC of ${type}`).toBe(crc32(png.subarray(at + 4, at + 8 + len)));
    if (type === 'IHDR') {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      expect(data[8]).toBe(8);
      channels = ({ 0: 1, 4: 2, 2: 3, 6: 4 } as Record<number, number>)[data[9]!]!;
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= channels ? out[y * stride + x - channels]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels]! : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      out[y * stride + x] = (v + [0, a, b, (a + b) >> 1, paeth][filter]!) & 0xff;
    }
  }
  return { width, height, channels, pixels: out };
}

const tmp = mkdtempSync(join(tmpdir(), 'cohort-media-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('encodePng', () => {
  it('writes a PNG that decodes back to the same pixels, for every channel count', () => {
    for (const channels of [1, 2, 3, 4] as const) {
      const width = 7;
      const height = 5;
      const pixels = Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 37 + channels) & 0xff);
      const back = decodePng(encodePng(width, height, channels, pixels));
      expect(back).toEqual({ width, height, channels, pixels });
    }
  });

  it('refuses pixel data of the wrong length', () => {
    expect(() => encodePng(2, 2, 3, new Uint8Array(11))).toThrow('encodePng: expected 12 bytes for 2×2×3, got 11');
  });
});

describe('Image', () => {
  it('logs pixels as a descriptor naming a PNG file in the run\'s media, with its caption', () => {
    const img = new Image({ width: 2, height: 2, data: Uint8Array.of(0, 255, 128, 7) }, { caption: 'tiny' });
    const { d, file } = logged(img);
    expect(Object.keys(d).sort()).toEqual(['_type', 'caption', 'format', 'height', 'path', 'sha256', 'size', 'width']);
    expect(d).toMatchObject({ _type: 'image', format: 'png', width: 2, height: 2, caption: 'tiny' });
    expect(d['path']).toBe(`media/images/${String(d['sha256']).slice(0, 20)}.png`);
    expect([...decodePng(file.bytes).pixels]).toEqual([0, 255, 128, 7]);
    // Outside run.log nothing is collected, and the descriptor is the same.
    expect(img.toLogValue()).toEqual(d);
  });

  it('takes nested rows and float pixels from 0 to 1', () => {
    const rows = new Image([[[255, 0, 0], [0, 0, 255]]]);
    expect([...decodePng(rows.bytes).pixels]).toEqual([255, 0, 0, 0, 0, 255]);
    const floats = new Image({ width: 2, height: 1, channels: 1, data: Float32Array.of(0, 1) });
    expect([...decodePng(floats.bytes).pixels]).toEqual([0, 255]);
  });

  it('reads an image file of any size (the blob store bounds it), and names a bad extension', () => {
    const small = join(tmp, 'a.png');
    writeFileSync(small, encodePng(3, 2, 1, new Uint8Array(6)));
    expect(Image.fromFile(small, { caption: 'file' }).toLogValue()).toMatchObject({ format: 'png', width: 3, height: 2, caption: 'file' });
    const big = join(tmp, 'big.jpg');
    writeFileSync(big, new Uint8Array(1024 * 1024));
    expect(logged(Image.fromFile(big)).d).toMatchObject({ format: 'jpeg', size: 1024 * 1024 });
    expect(() => Image.fromFile(join(tmp, 'a.txt'))).toThrow('Expected Image.fromFile to name a .png');
  });

  it('names the field of bad pixel input', () => {
    expect(() => new Image({ width: 0, height: 1, data: [] })).toThrow('Expected Image `width` to be an integer from 1 to 8192, got 0');
    expect(() => new Image({ width: 2, height: 2, channels: 3, data: [1, 2, 3] })).toThrow('Expected Image `data` to hold width×height×channels = 12 values, got 3');
  });
});

describe('Histogram, Table, Html, Audio, Video', () => {
  it('bins values (NaN and infinities left out) or takes bins, into a JSON file', () => {
    const h = logged(new Histogram([0, 1, 1, 2, NaN, Infinity], { numBins: 2 }));
    expect(h.d).toMatchObject({ _type: 'histogram', numBins: 2 });
    expect(h.file.path).toMatch(/^media\/histogram\/[0-9a-f]{20}\.histogram\.json$/);
    expect(jsonOf(h.file)).toEqual({ bins: [0, 1, 2], values: [1, 3] });
    expect(jsonOf(logged(Histogram.fromBins([0, 1, 10], [3, 4])).file)).toEqual({ bins: [0, 1, 10], values: [3, 4] });
    expect(() => Histogram.fromBins([0, 1], [3, 4])).toThrow('Expected Histogram.fromBins `bins` to hold values.length + 1 = 3 edges, got 2');
  });

  it('builds tables row by row, checks their shape, and stores the cells as table.json', () => {
    const t = new Table({ columns: ['a', 'b'], data: [[1, 'x']] });
    t.addRow(NaN, null);
    const { d, file } = logged(t);
    expect(d).toMatchObject({ _type: 'table', ncols: 2, nrows: 2 });
    expect(file.path).toMatch(/\.table\.json$/);
    expect(jsonOf(file)).toEqual({ columns: ['a', 'b'], data: [[1, 'x'], [NaN, null]] });
    expect(() => t.addRow(1)).toThrow('Expected a Table row to hold 2 cells (one per column), got 1');
    expect(() => new Table({ columns: ['a', 'a'] })).toThrow('Expected Table column names to be unique, got "a" twice');
  });

  it('logs HTML, audio and video as files', () => {
    const html = logged(new Html('<b>hi</b>'));
    expect(html.d['_type']).toBe('html');
    expect(Buffer.from(html.file.bytes).toString()).toBe('<b>hi</b>');
    const wav = join(tmp, 's.wav');
    writeFileSync(wav, Uint8Array.of(82, 73, 70, 70));
    const audio = logged(Audio.fromFile(wav, { caption: 'c' }));
    expect(audio.d).toMatchObject({ _type: 'audio', format: 'wav', caption: 'c', size: 4 });
    expect(audio.file.path).toMatch(/^media\/audio\/[0-9a-f]{20}\.wav$/);
    const mp4 = join(tmp, 'v.mp4');
    writeFileSync(mp4, Uint8Array.of(1, 2));
    expect(logged(Video.fromFile(mp4)).file.path).toMatch(/^media\/videos\/.*\.mp4$/);
    expect(() => Video.fromFile(join(tmp, 'v.avi'))).toThrow('Expected Video.fromFile to name a .mp4, .webm, .ogg, .gif file');
  });
});

describe('plot', () => {
  const t = new Table({ columns: ['x', 'y'], data: [[0, 1], [1, 3], [2, 2]] });

  it('marks tables with what to draw', () => {
    expect(plot.line(t, 'x', 'y', { title: 'T' }).toLogValue().plot).toEqual({ kind: 'line', x: 'x', y: 'y', title: 'T' });
    expect(plot.scatter(t, 'x', 'y').toLogValue().plot?.kind).toBe('scatter');
    expect(plot.bar(t, 'x', 'y').toLogValue().plot?.kind).toBe('bar');
    expect(jsonOf(logged(plot.histogram(t, 'y', { numBins: 2 })).file)).toEqual({ columns: ['bin', 'count'], data: [[1.5, 1], [2.5, 2]] });
    expect(() => plot.line(t, 'x', 'nope')).toThrow('Expected plot.line column "nope" to be one of x, y');
  });

  it('computes PR and ROC curves and a confusion matrix', () => {
    const yTrue = [0, 1, 1, 0];
    const scores = [0.1, 0.9, 0.8, 0.3];
    const roc = plot.rocCurve(yTrue, scores, { labels: ['neg', 'pos'], classesToPlot: [1] });
    expect(roc.columns).toEqual(['class', 'fpr', 'tpr']);
    expect(roc.data).toEqual([['pos', 0, 0], ['pos', 0, 0.5], ['pos', 0, 1], ['pos', 0.5, 1], ['pos', 1, 1]]);
    const pr = plot.prCurve(yTrue, scores, { classesToPlot: [1] });
    expect(pr.data.at(-1)).toEqual(['1', 1, 0.5]);
    const cm = plot.confusionMatrix({ yTrue: [0, 1, 1], preds: [0, 0, 1], classNames: ['a', 'b'] });
    expect(cm.data).toEqual([['a', 'a', 1], ['a', 'b', 0], ['b', 'a', 1], ['b', 'b', 1]]);
    expect(cm.toLogValue().plot).toMatchObject({ kind: 'confusion-matrix', classes: ['a', 'b'] });
  });
});

describe('ModelWatcher', () => {
  const model = { namedParameters: () => [['fc.weight', [1, 2, NaN], [0.5, 0.5]] as const, ['fc.bias', [0]] as const] };

  it('adds 64-bin histograms every logFreq steps, the second model prefixed graph_1', () => {
    const w = new ModelWatcher();
    w.watch(model, { log: 'all', logFreq: 2 });
    w.watch({ namedParameters: () => [['w', [1]] as const] }, { log: 'parameters', logFreq: 2 });
    expect(w.tick()).toBeUndefined();
    const due = w.tick()!;
    expect(Object.keys(due).sort()).toEqual(['gradients/fc.weight', 'parameters/fc.bias', 'parameters/fc.weight', 'parameters/graph_1w']);
    expect(due['parameters/fc.weight']!.values).toHaveLength(64);
    expect(due['parameters/fc.weight']!.values.reduce((a, b) => a + b, 0)).toBe(2);
    w.unwatch(model);
    w.tick();
    expect(Object.keys(w.tick()!)).toEqual(['parameters/graph_1w']);
  });

  it('refuses a bad log value and a non-model', () => {
    const w = new ModelWatcher();
    expect(() => w.watch(model, { log: 'weights' as never })).toThrow('Expected `log` of watch to be "gradients", "parameters", "all" or null, got "weights"');
    expect(() => w.watch({} as never)).toThrow(TypeError);
  });
});
