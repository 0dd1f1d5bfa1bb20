import { CohortError } from '@cohort/protocol';
import { Histogram } from './histogram.js';

/** What `watch` logs (docs/run-semantics.md §10). */
export type WatchLog = 'gradients' | 'parameters' | 'all' | null;

/** One parameter: its name, its values, and its gradient when there is one. */
export type NamedParameter = readonly [name: string, values: ArrayLike<number>, grad?: ArrayLike<number> | null];

/**
 * A model `watch` can read: anything that lists its parameters (a thin
 * adapter makes a TensorFlow.js `LayersModel` one: map `model.weights` to
 * `[w.name, w.read().dataSync()]`).
 */
export interface WatchableModel {
  namedParameters(): Iterable<NamedParameter>;
}

/** Options of `run.watch`. */
export interface WatchOptions {
  /** @defaultValue `'gradients'` */
  log?: WatchLog;
  /** Log every this many steps. @defaultValue 1000 */
  logFreq?: number;
  /** The index of the first model (names of models after the first get `graph_<i>`). @defaultValue the number watched so far */
  idx?: number;
}

interface Watched {
  model: WatchableModel;
  prefix: string;
  log: WatchLog;
  logFreq: number;
  steps: number;
}

/** Bins of the histograms `watch` logs. */
export const WATCH_BINS = 64;
const LOGS: readonly WatchLog[] = ['gradients', 'parameters', 'all', null];

/**
 * The models a run watches (docs/run-semantics.md §10): every `logFreq` committed steps
 * it adds 64-bin histograms (NaN and ±Infinity left out) of each parameter
 * (`parameters/<prefix><name>`) and gradient (`gradients/<prefix><name>`)
 * to the row being logged. There is no autograd hook in TypeScript, so the
 * values are read when that step is logged.
 */
export class ModelWatcher {
  readonly #watched: Watched[] = [];
  #added = 0;

  /** True while a model is watched. */
  get active(): boolean {
    return this.#watched.length > 0;
  }

  /** Watches one model or several. `log` other than the four: INVALID_ARGUMENT; a non-model: TypeError. */
  watch(models: WatchableModel | readonly WatchableModel[], options: WatchOptions = {}): void {
    const list = Array.isArray(models) ? (models as readonly WatchableModel[]) : [models as WatchableModel];
    const log = options.log === undefined ? 'gradients' : options.log;
    if (!LOGS.includes(log)) throw new CohortError('INVALID_ARGUMENT', `Expected \`log\` of watch to be "gradients", "parameters", "all" or null, got ${JSON.stringify(log)}`);
    const logFreq = options.logFreq ?? 1000;
    if (!Number.isSafeInteger(logFreq) || logFreq < 1) throw new CohortError('INVALID_ARGUMENT', `Expected \`logFreq\` of watch to be an integer from 1 up, got ${String(logFreq)}`);
    const idx = options.idx ?? this.#added;
    if (!Number.isSafeInteger(idx) || idx < 0) throw new CohortError('INVALID_ARGUMENT', `Expected \`idx\` of watch to be an integer from 0 up, got ${String(idx)}`);
    list.forEach((model) => {
      if (model === null || typeof model !== 'object' || typeof (model as Partial<WatchableModel>).namedParameters !== 'function') {
        throw new TypeError(`Expected a model with namedParameters() yielding [name, values, grad?], got ${model === null ? 'null' : typeof model}`);
      }
    });
    list.forEach((model, i) => {
      const global = idx + i;
      // W&B's names: the first model's parameters bare, later ones prefixed `graph_<i>` (no separator).
      this.#watched.push({ model, prefix: global > 0 ? `graph_${global}` : '', log, logFreq, steps: 0 });
    });
    this.#added = Math.max(this.#added, idx + list.length);
  }

  /** Stops watching `models` (all when absent). */
  unwatch(models?: WatchableModel | readonly WatchableModel[]): void {
    if (models === undefined) {
      this.#watched.length = 0;
      return;
    }
    const drop = new Set(Array.isArray(models) ? models : [models]);
    for (let i = this.#watched.length - 1; i >= 0; i--) if (drop.has(this.#watched[i]!.model)) this.#watched.splice(i, 1);
  }

  /** Counts one committed step; the histograms due at it, or undefined. */
  tick(): Record<string, Histogram> | undefined {
    let out: Record<string, Histogram> | undefined;
    for (const w of this.#watched) {
      w.steps++;
      if (w.log === null || w.steps % w.logFreq !== 0) continue;
      out ??= {};
      for (const [name, values, grad] of w.model.namedParameters()) {
        if (w.log === 'parameters' || w.log === 'all') out[`parameters/${w.prefix}${name}`] = new Histogram(values, { numBins: WATCH_BINS });
        if ((w.log === 'gradients' || w.log === 'all') && grad) out[`gradients/${w.prefix}${name}`] = new Histogram(grad, { numBins: WATCH_BINS });
      }
    }
    return out;
  }
}
