import { CohortError } from '@cohort/protocol';

/**
 * `s3://bucket/prefix` as a bucket and a key prefix (`''`, or ending in `/`).
 * The bucket follows S3's naming rules (3-63 lower-case letters, digits,
 * dots, dashes); the prefix may not hold `..` or empty segments.
 */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/?#]+)(?:\/([^?#]*))?$/.exec(url);
  if (!m) throw new CohortError('INVALID_ARGUMENT', `blob store: expected s3://bucket[/prefix], got ${JSON.stringify(url)}`);
  const bucket = m[1]!;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new CohortError('INVALID_ARGUMENT', `blob store: bucket ${JSON.stringify(bucket)} must be 3-63 lower-case letters, digits, dots or dashes`);
  }
  const path = (m[2] ?? '').replace(/\/+$/, '');
  if (path !== '' && path.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new CohortError('INVALID_ARGUMENT', `blob store: prefix ${JSON.stringify(path)} must not hold empty, "." or ".." segments`);
  }
  return { bucket, prefix: path === '' ? '' : `${path}/` };
}
