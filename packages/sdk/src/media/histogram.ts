import { CohortError, histogram, type HistogramDescriptor } from '@cohort/protocol';

/** Options of {@link Histogram}. */
export interface HistogramOptions {
  /** Bins between the finite minimum and maximum. @defaultValue 64 */
  numBins?: number;
}

/** Most bins of one histogram. */
export const MAX_HISTOGRAM_BINS = 512;

/**
 * A histogram to log (W&B's `wandb.Histogram`): from values (NaN and ±Infinity
 * left out) or from precomputed bins. Logs as `{ _type: 'histogram', bins,
 * values }`: `bins` are the edges (one more than `values`, the counts).
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

  toLogValue(): HistogramDescriptor {
    return { _type: 'histogram', bins: [...this.bins], values: [...this.values] };
  }
}
