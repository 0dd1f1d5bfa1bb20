import { escapeKey, getLeaf, normalizeLogData, type SummaryTracker } from '@cohort/protocol';

/** What {@link RunSummary} needs from its run. */
export interface SummaryHost {
  /** Throws `UsageError` once the run is finished (for writes). */
  guard(method: string): void;
  /** Brings the tracker up to date with every row logged so far. */
  catchUp(): void;
  /** Sends one SummaryUpdate record. */
  sendSummary(set: Record<string, unknown>, removed: string[]): void;
}

/** Normalizes one summary value as `log` would (Date → ISO string, typed arrays...). */
function summaryValue(value: unknown): unknown {
  return normalizeLogData({ v: value })['v'];
}

/**
 * `run.summary` (docs/run-semantics.md §1–§3): reads show the current summary, exactly
 * (rows logged so far are applied first); writes set one leaf each.
 * Paths are leaf paths: `a.b` is key `b` inside `a`; escape a literal dot as `a\\.b`.
 */
export class RunSummary {
  readonly #tracker: SummaryTracker;
  readonly #host: SummaryHost;

  /** @internal */
  constructor(tracker: SummaryTracker, host: SummaryHost) {
    this.#tracker = tracker;
    this.#host = host;
  }

  /** The value (or subtree) at a leaf path; `undefined` when absent. */
  get(path: string): unknown {
    return getLeaf(this.toJSON(), path);
  }

  /** Sets one leaf explicitly, replacing any logged subtree there, until the key is logged again. */
  set(path: string, value: unknown): void {
    this.#host.guard('summary.set');
    const v = summaryValue(value);
    this.#host.catchUp();
    this.#tracker.set(path, v);
    this.#host.sendSummary({ [path]: v }, []);
  }

  /** Sets each top-level key of `values` as one leaf (W&B's `summary.update`). */
  update(values: Readonly<Record<string, unknown>>): void {
    this.#host.guard('summary.update');
    const normalized = normalizeLogData(values);
    const set: Record<string, unknown> = {};
    for (const key in normalized) set[escapeKey(key)] = normalized[key];
    this.#host.catchUp();
    this.#tracker.update(set);
    this.#host.sendSummary(set, []);
  }

  /** Removes a leaf or subtree (its metric definition stays); a later log brings it back. */
  delete(path: string): boolean {
    this.#host.guard('summary.delete');
    this.#host.catchUp();
    const removed = this.#tracker.delete(path);
    this.#host.sendSummary({}, [path]);
    return removed;
  }

  /** The top-level keys of the summary. */
  keys(): string[] {
    return Object.keys(this.toJSON());
  }

  /** The whole summary as a nested object (a fresh copy). */
  toJSON(): Record<string, unknown> {
    this.#host.catchUp();
    return this.#tracker.summary();
  }
}
