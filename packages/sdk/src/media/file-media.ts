import { readFileSync } from 'node:fs';
import { CohortError } from '@cohort/protocol';
import { checkCaption, extensionOf } from './media-checks.js';
import { mediaFile, type MediaFileFields } from './media-file.js';

/** Options of {@link Audio.fromFile} and {@link Video.fromFile}. */
export interface FileMediaOptions {
  caption?: string;
}

/** The JSON audio and video log as; the file itself is the run file at `path`. */
export interface FileMediaDescriptor extends MediaFileFields {
  _type: 'audio' | 'video';
  format: string;
  caption?: string;
}

abstract class FileMedia {
  abstract readonly kind: 'audio' | 'video';
  readonly format: string;
  readonly bytes: Uint8Array;
  readonly caption: string | undefined;

  protected constructor(bytes: Uint8Array, format: string, caption: string | undefined) {
    this.bytes = bytes;
    this.format = format;
    this.caption = caption;
  }

  toLogValue(): FileMediaDescriptor {
    return {
      _type: this.kind,
      format: this.format,
      ...(this.caption !== undefined && { caption: this.caption }),
      ...mediaFile(this.kind === 'audio' ? 'audio' : 'videos', this.format, this.bytes),
    };
  }
}

function read(path: string, kind: string, formats: readonly string[], options: FileMediaOptions): { bytes: Uint8Array; format: string; caption: string | undefined } {
  if (typeof path !== 'string') throw new TypeError(`Expected the path of ${kind}.fromFile to be a string, got ${typeof path}`);
  const format = extensionOf(path);
  if (!formats.includes(format)) throw new CohortError('INVALID_ARGUMENT', `Expected ${kind}.fromFile to name a ${formats.map((f) => `.${f}`).join(', ')} file, got ${JSON.stringify(path)}`);
  const caption = checkCaption(options.caption, kind);
  const bytes = readFileSync(path);
  return { bytes, format, caption };
}

/**
 * An audio file to log (W&B's `wandb.Audio`): WAV, MP3, OGG, FLAC or WebM.
 *
 * @example
 * run.log({ sample: Audio.fromFile('out.wav', { caption: 'epoch 3' }) });
 */
export class Audio extends FileMedia {
  readonly kind = 'audio' as const;

  static fromFile(path: string, options: FileMediaOptions = {}): Audio {
    const f = read(path, 'Audio', ['wav', 'mp3', 'ogg', 'flac', 'webm'], options);
    return new Audio(f.bytes, f.format, f.caption);
  }
}

/**
 * A video file to log (W&B's `wandb.Video`): MP4, WebM, OGG or GIF.
 *
 * @example
 * run.log({ rollout: Video.fromFile('episode.mp4') });
 */
export class Video extends FileMedia {
  readonly kind = 'video' as const;

  static fromFile(path: string, options: FileMediaOptions = {}): Video {
    const f = read(path, 'Video', ['mp4', 'webm', 'ogg', 'gif'], options);
    return new Video(f.bytes, f.format, f.caption);
  }
}
