import { posix } from 'node:path';

/**
 * The response headers of a stored file served over HTTP (run files, logged
 * media, blobs): the Content-Type by extension from a fixed list, never
 * sniffed (`X-Content-Type-Options: nosniff`). HTML is sent with
 * `Content-Security-Policy: sandbox`, so a logged page opened on its own
 * runs no script and has no origin either. Anything not on the list is
 * `application/octet-stream`, as an attachment.
 */

const INLINE_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  flac: 'audio/flac',
  ogg: 'audio/ogg',
  webm: 'video/webm',
  mp4: 'video/mp4',
  json: 'application/json',
  txt: 'text/plain; charset=utf-8',
  log: 'text/plain; charset=utf-8',
  html: 'text/html; charset=utf-8',
};

/**
 * Headers for a file at `path` (a run file path; `undefined` for a bare blob).
 *
 * @example
 * fileHeaders('media/images/ab12.png'); // { 'content-type': 'image/png', 'content-disposition': 'inline; filename="ab12.png"', ... }
 */
export function fileHeaders(path: string | undefined): Record<string, string> {
  const name = path === undefined ? undefined : posix.basename(path);
  const ext = name === undefined ? '' : (/\.([A-Za-z0-9]+)$/.exec(name)?.[1] ?? '').toLowerCase();
  const type = INLINE_TYPES[ext];
  const headers: Record<string, string> = {
    'content-type': type ?? 'application/octet-stream',
    'x-content-type-options': 'nosniff',
  };
  // The name is ASCII-only (quoted, RFC 6266) with the UTF-8 one beside it.
  const disposition = type === undefined ? 'attachment' : 'inline';
  headers['content-disposition'] =
    name === undefined ? disposition : `${disposition}; filename="${name.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`;
  if (ext === 'html') headers['content-security-policy'] = 'sandbox';
  return headers;
}
