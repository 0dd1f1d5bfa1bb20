import { CohortError, stringifyJson, type Limits, type RowsMessage, type SummaryTracker } from '@cohort/protocol';

/** The limits a run's records are planned under. */
export type RunLimits = Pick<Limits, 'maxKeysPerRun' | 'maxSummaryBytes'>;

/** Characters a number takes in the summary JSON, at most (`-1.2345678901234567e-308`). */
const NUMBER_CHARS = 24;
/** Characters around a key in the summary JSON: quotes, colon, comma. */
const KEY_OVERHEAD = 4;

/**
 * A run's share of `maxKeysPerRun` and `maxSummaryBytes` while one batch is
 * planned (docs/SECURITY.md, "Limits"). A record is admitted before it
 * changes anything: the keys it would add must fit, and the summary it could
 * grow to (the stored summary's length, plus each new key and each value
 * longer than the key's latest one) must too. Otherwise it is refused with
 * RESOURCE_EXHAUSTED naming the limit, and the run's other records still
 * apply. The summary estimate is an upper bound: it never counts down.
 */
export class RunBudget {
  #summaryChars: number;
  /** Per key, the longest value counted in this batch. */
  readonly #counted = new Map<string, number>();
  readonly limits: RunLimits;

  constructor(storedSummaryChars: number, limits: RunLimits) {
    this.#summaryChars = storedSummaryChars;
    this.limits = limits;
  }

  /** Admits a Rows record: its key dictionary, its JSON cells by length, numbers at {@link NUMBER_CHARS}. */
  admitRows(tracker: SummaryTracker, rows: RowsMessage): void {
    // Per key of the dictionary, in a typed array: a record may hold a million cells.
    const chars = new Float64Array(rows.keys.length);
    for (const k of rows.numKeys) chars[k] = NUMBER_CHARS;
    for (let j = 0; j < rows.jsonKeys.length; j++) {
      const k = rows.jsonKeys[j]!;
      const n = rows.jsonValues[j]!.length;
      if (n > chars[k]!) chars[k] = n;
    }
    const longest = new Map<string, number>();
    for (let k = 0; k < chars.length; k++) if (chars[k]! > 0) longest.set(rows.keys[k]!, chars[k]!);
    this.#admit(tracker, rows.keys, longest, 'rows');
  }

  /** Admits a summary update: the keys it sets, each value by its JSON length. */
  admitSummary(tracker: SummaryTracker, set: Record<string, unknown>): void {
    const longest = new Map<string, number>();
    for (const [path, value] of Object.entries(set)) longest.set(path, stringifyJson(value).length);
    this.#admit(tracker, [...longest.keys()], longest, 'summary.setJson');
  }

  #admit(tracker: SummaryTracker, keys: readonly string[], longest: ReadonlyMap<string, number>, field: string): void {
    let added = 0;
    let growth = 0;
    const next: Array<[string, number]> = [];
    for (const key of keys) {
      const known = tracker.has(key);
      if (!known) {
        added++;
        growth += key.length + KEY_OVERHEAD;
      }
      const n = longest.get(key);
      if (n === undefined) continue;
      const before = this.#counted.get(key) ?? (known ? latestChars(tracker, key) : 0);
      if (n > before) {
        growth += n - before;
        next.push([key, n]);
      }
    }
    const keyCount = tracker.keyCount + added;
    if (added > 0 && keyCount > this.limits.maxKeysPerRun) {
      throw new CohortError(
        'RESOURCE_EXHAUSTED',
        `${field}: the run would hold ${keyCount} keys; at most ${this.limits.maxKeysPerRun} are allowed per run (maxKeysPerRun); log fewer distinct keys or start another run`,
      );
    }
    if (growth > 0 && this.#summaryChars + growth > this.limits.maxSummaryBytes) {
      throw new CohortError(
        'RESOURCE_EXHAUSTED',
        `${field}: the run's summary could grow to ${this.#summaryChars + growth} characters; at most ${this.limits.maxSummaryBytes} are allowed (maxSummaryBytes); log large values as files or tables instead`,
      );
    }
    this.#summaryChars += growth;
    for (const [key, n] of next) this.#counted.set(key, n);
  }
}

/** The length of a key's latest value as JSON; numbers at their most. */
function latestChars(tracker: SummaryTracker, key: string): number {
  const v = tracker.latest(key);
  if (v === undefined) return 0;
  return typeof v === 'number' ? NUMBER_CHARS : stringifyJson(v).length;
}
