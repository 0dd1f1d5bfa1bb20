import { readFileSync } from 'node:fs';
import { CohortError } from '@cohort/protocol';
import { checkCaption, extensionOf } from './media-checks.js';
import { mediaFile, type MediaFileFields } from './media-file.js';
import { encodePng } from './png-encoder.js';

/** Raw pixels: row-major, `channels` values per pixel (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA). */
export interface PixelData {
  width: number;
  height: number;
  /** @defaultValue `data.length / (width * height)` */
  channels?: 1 | 2 | 3 | 4;
  /**
   * Bytes (`Uint8Array`, `Uint8ClampedArray`, numbers 0–255, clamped and
   * rounded), or floats 0–1 in a `Float32Array`/`Float64Array` (scaled by 255).
   */
  data: ArrayLike<number>;
}

/** Options of {@link Image}. */
export interface ImageOptions {
  caption?: string;
}

/** The JSON an {@link Image} logs as; the image itself is the run file at `path`. */
export interface ImageDescriptor extends MediaFileFields {
  _type: 'image';
  format: string;
  width?: number;
  height?: number;
  caption?: string;
}

/** Largest width or height of an image made from pixels. */
export const MAX_IMAGE_SIDE = 8192;
const FORMATS = new Set(['png', 'jpeg', 'jpg', 'gif', 'webp', 'bmp']);

/**
 * An image to log (W&B's `wandb.Image`): from raw pixels (encoded to PNG
 * here, in TypeScript) or from an image file. Logs as an
 * {@link ImageDescriptor} plus the file (`media/images/<sha256>.<format>`
 * in the run's files, uploaded to the blob store); the dashboard shows it.
 *
 * @example
 * const pixels = new Uint8Array(28 * 28).map((_, i) => i % 256);
 * run.log({ digit: new Image({ width: 28, height: 28, data: pixels }, { caption: 'a 7' }) });
 * run.log({ photo: Image.fromFile('sample.jpg') });
 * run.log({ grid: new Image([[0, 255], [255, 0]]) }); // rows of gray values
 */
export class Image {
  readonly format: string;
  readonly width: number | undefined;
  readonly height: number | undefined;
  readonly caption: string | undefined;
  readonly bytes: Uint8Array;

  /** From pixels: a {@link PixelData}, or nested rows (`[y][x]` gray or `[y][x][c]`). */
  constructor(pixels: PixelData | ReadonlyArray<ReadonlyArray<number | ReadonlyArray<number>>>, options: ImageOptions = {}) {
    const p = Array.isArray(pixels) ? fromRows(pixels as ReadonlyArray<ReadonlyArray<number | ReadonlyArray<number>>>) : (pixels as PixelData);
    if (p === null || typeof p !== 'object' || !('data' in p)) throw new TypeError('Expected `pixels` of Image to be { width, height, channels?, data } or nested rows of numbers');
    const { width, height } = p;
    for (const [field, v] of [['width', width], ['height', height]] as const) {
      if (!Number.isSafeInteger(v) || v < 1 || v > MAX_IMAGE_SIDE) throw new CohortError('INVALID_ARGUMENT', `Expected Image \`${field}\` to be an integer from 1 to ${MAX_IMAGE_SIDE}, got ${String(v)}`);
    }
    const channels = p.channels ?? p.data.length / (width * height);
    if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4) {
      throw new CohortError('INVALID_ARGUMENT', `Expected Image \`channels\` to be 1, 2, 3 or 4 (data.length ${p.data.length} / ${width}×${height}), got ${channels}`);
    }
    if (p.data.length !== width * height * channels) {
      throw new CohortError('INVALID_ARGUMENT', `Expected Image \`data\` to hold width×height×channels = ${width * height * channels} values, got ${p.data.length}`);
    }
    this.bytes = encodePng(width, height, channels, toBytes(p.data));
    this.format = 'png';
    this.width = width;
    this.height = height;
    this.caption = checkCaption(options.caption, 'Image');
  }

  /** An image file (PNG, JPEG, GIF, WebP, BMP), read now. */
  static fromFile(path: string, options: ImageOptions = {}): Image {
    if (typeof path !== 'string') throw new TypeError(`Expected the path of Image.fromFile to be a string, got ${typeof path}`);
    const format = extensionOf(path);
    if (!FORMATS.has(format)) throw new CohortError('INVALID_ARGUMENT', `Expected Image.fromFile to name a .png, .jpg, .jpeg, .gif, .webp or .bmp file, got ${JSON.stringify(path)}`);
    return Image.fromBytes(readFileSync(path), format, options);
  }

  /** Encoded image bytes of a `format` (`png`, `jpeg`, `gif`, `webp`, `bmp`). */
  static fromBytes(bytes: Uint8Array, format: string, options: ImageOptions = {}): Image {
    const f = format.toLowerCase() === 'jpg' ? 'jpeg' : format.toLowerCase();
    if (!FORMATS.has(f)) throw new CohortError('INVALID_ARGUMENT', `Expected Image format to be png, jpeg, gif, webp or bmp, got ${JSON.stringify(format)}`);
    const img = Object.create(Image.prototype) as { -readonly [K in keyof Image]: Image[K] };
    const size = sizeOf(bytes, f);
    img.bytes = bytes;
    img.format = f;
    img.width = size?.width;
    img.height = size?.height;
    img.caption = checkCaption(options.caption, 'Image');
    return img as Image;
  }

  /** The descriptor `run.log` stores (and, inside `run.log`, the file it uploads). */
  toLogValue(): ImageDescriptor {
    return {
      _type: 'image',
      format: this.format,
      ...(this.width !== undefined && { width: this.width }),
      ...(this.height !== undefined && { height: this.height }),
      ...(this.caption !== undefined && { caption: this.caption }),
      ...mediaFile('images', this.format, this.bytes),
    };
  }
}

function toBytes(data: ArrayLike<number>): Uint8Array {
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return new Uint8Array(data.buffer, data.byteOffset, data.length);
  const scale = data instanceof Float32Array || data instanceof Float64Array ? 255 : 1;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]) * scale;
    out[i] = Number.isFinite(v) ? Math.max(0, Math.min(255, Math.round(v))) : 0;
  }
  return out;
}

function fromRows(rows: ReadonlyArray<ReadonlyArray<number | ReadonlyArray<number>>>): PixelData {
  const height = rows.length;
  const width = rows[0]?.length ?? 0;
  const first = rows[0]?.[0];
  const channels = (Array.isArray(first) ? first.length : 1) as 1 | 2 | 3 | 4;
  const data = new Array<number>(width * height * channels);
  let at = 0;
  for (let y = 0; y < height; y++) {
    const row = rows[y]!;
    if (!Array.isArray(row) || row.length !== width) throw new CohortError('INVALID_ARGUMENT', `Expected every row of Image pixels to hold ${width} pixels, row ${y} holds ${Array.isArray(row) ? row.length : typeof row}`);
    for (let x = 0; x < width; x++) {
      const px = row[x];
      if (Array.isArray(px)) {
        if (px.length !== channels) throw new CohortError('INVALID_ARGUMENT', `Expected pixel [${y}][${x}] to have ${channels} channels, got ${px.length}`);
        for (const c of px) data[at++] = Number(c);
      } else data[at++] = Number(px);
    }
  }
  return { width, height, channels, data };
}

/** Width and height from a PNG or GIF header; undefined for other formats. */
function sizeOf(b: Uint8Array, format: string): { width: number; height: number } | undefined {
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  if (format === 'png' && b.length >= 24) return { width: v.getUint32(16), height: v.getUint32(20) };
  if (format === 'gif' && b.length >= 10) return { width: v.getUint16(6, true), height: v.getUint16(8, true) };
  return undefined;
}
