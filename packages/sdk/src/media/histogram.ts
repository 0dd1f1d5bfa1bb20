import { CohortError, histogram, stringifyJson } from '@cohort/protocol';
import { mediaFile, type MediaFileFields } from './media-file.js';

/** The JSON a {@link Histogram} logs as; `{ bins, values }` is the run file at `path`. */
export interface HistogramFileDescriptor extends MediaFileFields {
  _type: 'histogram';
  /** The number of bins (counts) in the file. */
  numBins: number;
}

/** Options of {@link Histogram}. */
export interface HistogramOptions {
  /** Bins between the finite minimum and maximum. @defaultValue 64 */
  numBins?: number;
}

/** Most bins of one histogram. */
export const MAX_HISTOGRAM_BINS = 512;

/**
 * A histogram to log (W&B's `wandb.Histogram`): from values (NaN and ±Infinity
 * left out) or from precomputed bins. Logs as a {@link HistogramFileDescriptor}
 * naming a JSON file `{ bins, values }` (`media/histogram/<sha256>.histogram.json`):
 * `bins` are the edges (one more than `values`, the counts).
 *
 * @example
 * run.log({ weights: new Histogram(layer.weights, { numBins: 32 }) });
 * run.log({ latency: Histogram.fromBins([0, 10, 100], [5, 2]) });
 */
export class Histogram {
  readonly bins: readonly number[];
  readonly values: readonly number[];

  constructor(values: ArrayLike<number>, options: HistogramOptions = {}) {
    if (values === null || typeof values !== 'object' || typeof (values as { length?: unknown }).length !== 'number') {
      throw new TypeError(`Expected the values of Histogram to be an array or typed array of numbers, got ${values === null ? 'null' : typeof values}`);
    }
    const n = options.numBins ?? 64;
    if (!Number.isSafeInteger(n) || n < 1 || n > MAX_HISTOGRAM_BINS) {
      throw new CohortError('INVALID_ARGUMENT', `Expected Histogram \`numBins\` to be an integer from 1 to ${MAX_HISTOGRAM_BINS}, got ${String(n)}`);
    }
    const h = histogram(values, n);
    this.bins = h.bins;
    this.values = h.values;
  }

  /** From bin edges (ascending, one more than the counts) and counts. */
  static fromBins(bins: ArrayLike<number>, values: ArrayLike<number>): Histogram {
    const edges = Array.from(bins, Number);
    const counts = Array.from(values, Number);
    if (counts.length < 1 || counts.length > MAX_HISTOGRAM_BINS) {
      throw new CohortError('INVALID_ARGUMENT', `Expected Histogram.fromBins \`values\` to hold 1 to ${MAX_HISTOGRAM_BINS} counts, got ${counts.length}`);
    }
    if (edges.length !== counts.length + 1) {
      throw new CohortError('INVALID_ARGUMENT', `Expected Histogram.fromBins \`bins\` to hold values.length + 1 = ${counts.length + 1} edges, got ${edges.length}`);
    }
    for (let i = 1; i < edges.length; i++) {
      if (!(edges[i]! > edges[i - 1]!)) throw new CohortError('INVALID_ARGUMENT', `Expected Histogram.fromBins \`bins\` to be finite and ascending, got ${edges[i - 1]} then ${edges[i]}`);
    }
    const h = Object.create(Histogram.prototype) as { bins: number[]; values: number[] };
    h.bins = edges;
    h.values = counts;
    return h as unknown as Histogram;
  }

  toLogValue(): HistogramFileDescriptor {
    const json = stringifyJson({ bins: this.bins, values: this.values });
    return { _type: 'histogram', numBins: this.values.length, ...mediaFile('histogram', 'histogram.json', Buffer.from(json, 'utf8')) };
  }
}
