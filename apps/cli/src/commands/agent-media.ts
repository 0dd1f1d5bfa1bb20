import { CohortError } from '@cohort/protocol';
import { Histogram, Html, Image, Table, type TableCell } from '@cohort/sdk';

/**
 * Turns the Python client's media descriptors (`{"$media": kind, ...}`,
 * clients/python/cohort/media.py) inside a `log_media` row into the SDK's
 * media objects, which make the run files and the logged JSON.
 */
export function reviveMedia(value: unknown, depth = 0): unknown {
  if (depth > 64 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => reviveMedia(v, depth + 1));
  const o = value as Record<string, unknown>;
  if (typeof o['$media'] === 'string') return media(o);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(o)) Object.defineProperty(out, key, { value: reviveMedia(o[key], depth + 1), enumerable: true, writable: true, configurable: true });
  return out;
}

function numbers(value: unknown, what: string): number[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'number')) throw new TypeError(`Expected ${what} to be a list of numbers`);
  return value as number[];
}

function media(o: Record<string, unknown>): unknown {
  const caption = typeof o['caption'] === 'string' ? { caption: o['caption'] } : {};
  switch (o['$media']) {
    case 'histogram':
      if (o['counts'] !== undefined) return Histogram.fromBins(numbers(o['bins'], 'the bin edges'), numbers(o['counts'], 'the counts'));
      return new Histogram(numbers(o['values'], 'the values of Histogram'), { numBins: o['num_bins'] as number });
    case 'html':
      return new Html(o['html'] as string);
    case 'table':
      return new Table({ columns: o['columns'] as string[], data: o['data'] as TableCell[][] });
    case 'image': {
      if (typeof o['path'] === 'string') return Image.fromFile(o['path'], caption);
      if (Array.isArray(o['rows'])) return new Image(o['rows'] as number[][], caption);
      const bytes = Buffer.from(String(o['data'] ?? ''), 'base64');
      const data = o['kind'] === 'f64' ? new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)) : new Uint8Array(bytes);
      return new Image({ width: o['width'] as number, height: o['height'] as number, channels: o['channels'] as 1 | 2 | 3 | 4, data }, caption);
    }
    default:
      throw new CohortError('INVALID_ARGUMENT', `agent: unknown media ${JSON.stringify(o['$media'])}`);
  }
}
