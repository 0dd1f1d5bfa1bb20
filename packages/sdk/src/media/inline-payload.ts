import { CohortError } from '@cohort/protocol';

/**
 * Media bytes travel inside their JSON descriptor, base64-encoded, until the
 * server has a blob store for files (issue 5): bounded so a descriptor stays
 * well under the coordinator's 1 MiB value limit.
 */

/** The most bytes of one media payload (an image, audio or video file). */
export const MAX_INLINE_MEDIA_BYTES = 256 * 1024;

/** Base64 of `bytes`, or a clear error naming the limit. */
export function inlinePayload(bytes: Uint8Array, what: string): string {
  if (bytes.length > MAX_INLINE_MEDIA_BYTES) {
    throw new CohortError(
      'INVALID_ARGUMENT',
      `Expected the ${what} to be at most ${MAX_INLINE_MEDIA_BYTES} bytes (${MAX_INLINE_MEDIA_BYTES / 1024} KiB: media are sent inline until the server stores files), got ${bytes.length}`,
    );
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
}

/** A caption option: a string of at most 1000 characters, or absent. */
export function checkCaption(caption: unknown, what: string): string | undefined {
  if (caption === undefined) return undefined;
  if (typeof caption !== 'string') throw new TypeError(`Expected \`caption\` of ${what} to be a string, got ${typeof caption}`);
  if (caption.length > 1000) throw new CohortError('INVALID_ARGUMENT', `Expected \`caption\` of ${what} to be at most 1000 characters, got ${caption.length}`);
  return caption;
}

/** The lower-case extension of a path (`.PNG` → `png`). */
export function extensionOf(path: string): string {
  const m = /\.([A-Za-z0-9]+)$/.exec(path);
  return m ? m[1]!.toLowerCase() : '';
}
