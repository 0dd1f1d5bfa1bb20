import type { SummaryState } from '@cohort/protocol';
import type { StoredRun } from '@cohort/store';
import { readSummaryState } from './stored-state.js';

/**
 * Runs whose summary state one engine keeps parsed. A scaled-mode worker
 * applies a batch of each of its runs every ~200 ms; this covers a few
 * thousand runs at once. Beyond it the least recently used are dropped.
 */
export const SUMMARY_CACHE_RUNS = 4096;

/**
 * Characters of `summaryStateJson` text kept in all (the parsed objects take
 * about as much again): bounds the memory when states are large, since a
 * run with thousands of metrics holds hundreds of kilobytes. A state larger
 * than this alone is never kept.
 */
export const SUMMARY_CACHE_CHARS = 32 * 1024 * 1024;

/** A summary state as stored: its text, and the state that text encodes. */
export interface WrittenSummaryState {
  json: string;
  state: SummaryState;
}

interface Entry extends WrittenSummaryState {
  /** The run version this state is stored at. */
  version: number;
}

/**
 * The parsed `summaryStateJson` of recently applied runs, so a run's next
 * batch does not parse it again (profiles of the worker showed the parse as
 * its largest JSON cost). An entry is used only for the exact run version it
 * was stored at and only when the row's text is still the entry's text, so
 * correctness never rests on the cache: any other write (resume, rewind,
 * another applier's commit) bumps the version, and a run whose text differs
 * is parsed again. The states handed out are shared: never mutate them
 * (`SummaryTracker.fromJSON` copies what it keeps).
 *
 * Share one only among engines of one store: entries are keyed by run pk.
 */
export class SummaryStateCache {
  readonly #entries = new Map<number, Entry>();
  #chars = 0;
  /** Lookups answered from the cache, and states parsed. */
  readonly stats = { hits: 0, parses: 0 };

  /** @param maxRuns runs kept at most (0 keeps none: every lookup parses) @param maxChars characters of text kept at most */
  constructor(
    readonly maxRuns = SUMMARY_CACHE_RUNS,
    readonly maxChars = SUMMARY_CACHE_CHARS,
  ) {}

  /** The run's summary state as stored (`undefined` before its first batch): the kept one for its version and text, else parsed and kept. */
  get(run: StoredRun): SummaryState | undefined {
    const json = run.summaryStateJson;
    if (json === '') return undefined;
    const e = this.#entries.get(run.pk);
    if (e !== undefined && e.version === run.version && e.json === json) {
      this.stats.hits++;
      // Most recently used last.
      this.#entries.delete(run.pk);
      this.#entries.set(run.pk, e);
      return e.state;
    }
    this.stats.parses++;
    const state = readSummaryState(run, json)!;
    this.#set(run.pk, { version: run.version, json, state });
    return state;
  }

  /**
   * After a batch of `run` committed (the store now holds `run.version + 1`):
   * keeps `written`, the summary state the batch stored, or when it stored
   * none (its text is unchanged), moves what was kept for `run.version` on.
   */
  committed(run: StoredRun, written: WrittenSummaryState | undefined): void {
    const version = run.version + 1;
    if (written !== undefined) {
      this.#set(run.pk, { version, json: written.json, state: withoutNegativeZero(written.state) });
      return;
    }
    const e = this.#entries.get(run.pk);
    if (e !== undefined && e.version === run.version) e.version = version;
  }

  /** After a commit of `run` failed its version guard: what was kept for its version is stale. */
  lost(run: StoredRun): void {
    const e = this.#entries.get(run.pk);
    if (e !== undefined && e.version === run.version) this.#delete(run.pk, e);
  }

  #set(pk: number, entry: Entry): void {
    const old = this.#entries.get(pk);
    if (old !== undefined) this.#delete(pk, old);
    if (this.maxRuns === 0 || entry.json.length > this.maxChars) return;
    this.#entries.set(pk, entry);
    this.#chars += entry.json.length;
    for (const [oldest, e] of this.#entries) {
      if (this.#entries.size <= this.maxRuns && this.#chars <= this.maxChars) break;
      this.#delete(oldest, e);
    }
  }

  #delete(pk: number, e: Entry): void {
    this.#entries.delete(pk);
    this.#chars -= e.json.length;
  }
}

/**
 * The state as parsing its text gives it. JSON has no -0 (it is written as
 * 0), and a step metric's latest value is the one number of a state that
 * goes back into history (a stepSync insertion), so a kept -0 there would
 * store what a parsed state would not. Everything else only feeds
 * comparisons and the summary's own text, where -0 and 0 are alike.
 */
function withoutNegativeZero(state: SummaryState): SummaryState {
  if (!state.stepMetrics.some(([, v]) => Object.is(v, -0))) return state;
  return { ...state, stepMetrics: state.stepMetrics.map(([path, v]) => [path, Object.is(v, -0) ? 0 : v]) };
}
