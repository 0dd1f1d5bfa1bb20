import { CohortError, describeValue } from '../errors.js';
import { isPlainObject, setLeaf } from '../leaf-path.js';
import type { MetricDefinitionMessage } from '../records.js';
import { isGlobName, mergeMetricDefinition, parseSummary, toMetric, type Metric, type SummaryOption } from './metric-definition.js';

/**
 * The run summary (docs/run-semantics.md §1–§3): metric definitions, globs, step metrics,
 * aggregations and explicit sets. The engine keeps it as the stored truth
 * (it survives resume through {@link SummaryTracker.toJSON}); the SDK keeps a
 * local mirror for `run.summary`.
 */

/** The stored state of one metric (one leaf path) of a {@link SummaryTracker}. */
export interface SummaryMetricState {
  path: string;
  /** Whether the leaf is in the summary now (not deleted, not replaced by a subtree or parent). */
  visible: boolean;
  /** Whether the leaf holds an explicitly set `value` rather than what was logged. */
  explicit: boolean;
  /** The explicitly set value, when `explicit`. */
  value?: unknown;
  /** Present once a value was logged. */
  latest?: unknown;
  first?: unknown;
  /** Aggregates over the numbers logged; absent while `count` is 0. */
  count?: number;
  total?: number;
  min?: number;
  max?: number;
}

/** The plain, JSON-storable state of a {@link SummaryTracker} (store it with `stringifyJson`, which keeps NaN). */
export interface SummaryState {
  version: 1;
  /** Concrete definitions (explicit, or created by a glob match), in definition order. */
  definitions: MetricDefinitionMessage[];
  /** Glob definitions, in the order first defined (the first match wins). */
  globs: MetricDefinitionMessage[];
  /** Registered step metrics and their latest values. */
  stepMetrics: Array<[string, number]>;
  metrics: SummaryMetricState[];
}

const F_MIN = 1;
const F_MAX = 2;
const F_MEAN = 4;
const F_FIRST = 8;
const F_LAST = 16;
const F_BEST = 32;
const F_COPY = 64;
const F_NONE = 128;
const F_AGGREGATE = F_MIN | F_MAX | F_MEAN | F_FIRST | F_LAST | F_BEST;

const FLAG_OF: Record<SummaryOption, number> = {
  min: F_MIN,
  max: F_MAX,
  mean: F_MEAN,
  first: F_FIRST,
  last: F_LAST,
  best: F_BEST,
  copy: F_COPY,
  none: F_NONE,
};

const DOT = 46;
const BACKSLASH = 92;
const UNDERSCORE = 95;

/** A definition with its summary options decoded once. */
class Definition {
  readonly flags: number;
  /** The aggregation entries to show, in the order given. */
  readonly shown: readonly SummaryOption[];
  readonly maximize: boolean;
  /** For globs: the name without its `*`. */
  readonly prefix: string;
  /** The step metric's entry, found on first use. */
  stepEntry: Entry | undefined;

  constructor(readonly msg: MetricDefinitionMessage) {
    const options = parseSummary(msg.summary);
    let flags = 0;
    for (const o of options) flags |= FLAG_OF[o];
    this.flags = flags;
    this.shown = options.filter((o) => (FLAG_OF[o] & F_AGGREGATE) !== 0);
    this.maximize = msg.goal === 'maximize';
    this.prefix = isGlobName(msg.name) ? msg.name.slice(0, -1) : msg.name;
  }

  get syncsStep(): boolean {
    return this.msg.stepSync && this.msg.stepMetric !== '';
  }
}

/** What the tracker knows of one leaf path. */
class Entry {
  visible = false;
  explicit = false;
  value: unknown = undefined;
  hasValue = false;
  latest: unknown = undefined;
  first: unknown = undefined;
  count = 0;
  total = 0;
  min = Infinity;
  max = -Infinity;
  isStepMetric = false;
  /** The row (of this process) that last held this leaf. */
  row = 0;
  /** The definition resolved for rows, valid while `epoch` is the tracker's. */
  def: Definition | null = null;
  epoch = -1;

  constructor(readonly path: string) {}

  record(value: unknown): void {
    this.latest = value;
    if (!this.hasValue) {
      this.hasValue = true;
      this.first = value;
    }
    if (typeof value === 'number') {
      this.count += 1;
      this.total += value;
      if (Number.isNaN(value)) {
        // One NaN makes min and max NaN for good: no comparison with NaN is true.
        this.min = NaN;
        this.max = NaN;
      } else {
        if (value < this.min) this.min = value;
        if (value > this.max) this.max = value;
      }
    }
  }
}

/**
 * The summary of one run and the rules that make it.
 *
 * Feed it every flushed history row with {@link SummaryTracker.applyRow}
 * (including `_step`, `_runtime` and `_timestamp`), metric definitions with
 * {@link SummaryTracker.defineMetric}, and explicit writes with `set`,
 * `update` and `delete`; read it with {@link SummaryTracker.summary}.
 *
 * @example
 * const tracker = new SummaryTracker();
 * tracker.defineMetric(parseMetricDefinition('loss', { summary: 'min' }));
 * tracker.applyRow([['loss', 0.5], ['_step', 0]]);
 * tracker.applyRow([['loss', 0.7], ['_step', 1]]);
 * tracker.summary(); // { loss: { min: 0.5 }, _step: 1 }
 */
export class SummaryTracker {
  readonly #entries = new Map<string, Entry>();
  /** For each path prefix, how many visible leaves lie below it. */
  readonly #interior = new Map<string, number>();
  readonly #defs = new Map<string, Definition>();
  readonly #globs = new Map<string, Definition>();
  readonly #stepMetrics = new Map<string, number>();
  /** Bumped by every definition, so cached resolutions are redone. */
  #epoch = 0;
  #row = 0;
  readonly #rowEntries: Entry[] = [];

  /** Restores a tracker from {@link SummaryTracker.toJSON}'s state; `undefined` gives an empty one. */
  static fromJSON(state: SummaryState | undefined): SummaryTracker {
    const tracker = new SummaryTracker();
    if (state === undefined) return tracker;
    if (
      !isPlainObject(state) ||
      state.version !== 1 ||
      !Array.isArray(state.metrics) ||
      !Array.isArray(state.definitions) ||
      !Array.isArray(state.globs) ||
      !Array.isArray(state.stepMetrics)
    ) {
      throw new CohortError('INVALID_ARGUMENT', `Expected a summary state of version 1, got ${describeValue(state)}`);
    }
    for (const msg of state.definitions) tracker.#defs.set(msg.name, new Definition({ ...msg }));
    for (const msg of state.globs) tracker.#globs.set(msg.name, new Definition({ ...msg }));
    for (const m of state.metrics) {
      const e = tracker.#entry(m.path);
      if (m.explicit) {
        e.explicit = true;
        e.value = m.value;
      }
      if ('latest' in m) {
        e.hasValue = true;
        e.latest = m.latest;
        e.first = m.first;
      }
      if (m.count !== undefined && m.count > 0) {
        e.count = m.count;
        e.total = m.total ?? 0;
        e.min = m.min ?? Infinity;
        e.max = m.max ?? -Infinity;
      }
      if (m.visible) tracker.#show(e);
    }
    for (const [path, latest] of state.stepMetrics) {
      tracker.#stepMetrics.set(path, latest);
      tracker.#entry(path).isStepMetric = true;
    }
    return tracker;
  }

  /**
   * A tracker with this one's definitions and no values (step metrics back
   * at 0): the start for recomputing a summary by replaying history, as a
   * `resumeFrom` rewind does.
   */
  withoutValues(): SummaryTracker {
    const state = this.toJSON();
    return SummaryTracker.fromJSON({
      ...state,
      stepMetrics: state.stepMetrics.map(([path]) => [path, 0]),
      metrics: [],
    });
  }

  /** Whether a leaf path was logged, set or named as a step metric. */
  has(path: string): boolean {
    return this.#entries.has(path);
  }

  /** How many leaf paths were logged, set or named as step metrics (the run's keys, `Limits.maxKeysPerRun`). */
  get keyCount(): number {
    return this.#entries.size;
  }

  /** The whole state as plain data; `fromJSON(toJSON())` continues exactly where this one is. */
  toJSON(): SummaryState {
    const metrics: SummaryMetricState[] = [];
    for (const e of this.#entries.values()) {
      if (!e.visible && !e.hasValue && !e.explicit) continue;
      const m: SummaryMetricState = { path: e.path, visible: e.visible, explicit: e.explicit };
      if (e.explicit) m.value = e.value;
      if (e.hasValue) {
        m.latest = e.latest;
        m.first = e.first;
      }
      if (e.count > 0) {
        m.count = e.count;
        m.total = e.total;
        m.min = e.min;
        m.max = e.max;
      }
      metrics.push(m);
    }
    return {
      version: 1,
      definitions: [...this.#defs.values()].map((d) => ({ ...d.msg })),
      globs: [...this.#globs.values()].map((d) => ({ ...d.msg })),
      stepMetrics: [...this.#stepMetrics],
      metrics,
    };
  }

  /**
   * Adds a definition (from `parseMetricDefinition`), merged with the earlier
   * one of the same name unless it says `overwrite`. A `stepMetric` is
   * registered with latest value 0. Returns the merged definition.
   */
  defineMetric(def: MetricDefinitionMessage): Metric {
    const glob = isGlobName(def.name);
    const map = glob ? this.#globs : this.#defs;
    const merged = mergeMetricDefinition(map.get(def.name)?.msg, def);
    map.set(def.name, new Definition(merged));
    if (merged.stepMetric !== '' && !this.#stepMetrics.has(merged.stepMetric)) {
      this.#stepMetrics.set(merged.stepMetric, 0);
      this.#entry(merged.stepMetric).isStepMetric = true;
    }
    this.#epoch += 1;
    return toMetric(merged);
  }

  /** The merged definition of a name (a leaf path or a glob), if any. */
  metric(name: string): Metric | undefined {
    const d = (isGlobName(name) ? this.#globs : this.#defs).get(name);
    return d === undefined ? undefined : toMetric(d.msg);
  }

  /** Every definition: concrete ones (explicit or made by a glob match), then globs. */
  definitions(): MetricDefinitionMessage[] {
    const out: MetricDefinitionMessage[] = [];
    for (const d of this.#defs.values()) out.push({ ...d.msg });
    for (const d of this.#globs.values()) out.push({ ...d.msg });
    return out;
  }

  /**
   * Applies one flushed history row, given as its leaves (paths as in
   * `leaf-path.ts`, including `_step`, `_runtime` and `_timestamp`).
   *
   * Matches undefined keys against globs, updates step metrics and
   * aggregations, and returns the leaves that step sync inserts into this row
   * (the latest value of a `stepSync` metric's step metric that the row
   * lacks). The inserted leaves are already applied; store them with the row.
   */
  applyRow(leaves: ReadonlyArray<readonly [path: string, value: unknown]>): Array<[string, unknown]> {
    const row = ++this.#row;
    const entries = this.#entries;
    const rowEntries = this.#rowEntries;
    const n = leaves.length;
    const epoch = this.#epoch;
    rowEntries.length = 0;
    for (let i = 0; i < n; i++) {
      const leaf = leaves[i]!;
      const path = leaf[0];
      const value = leaf[1];
      const e = entries.get(path) ?? this.#entry(path);
      e.row = row;
      e.record(value);
      if (e.explicit) {
        e.explicit = false;
        e.value = undefined;
      }
      if (!e.visible) this.#show(e);
      if (e.isStepMetric && typeof value === 'number') this.#stepMetrics.set(path, value);
      if (e.epoch !== epoch) this.#resolve(e);
      rowEntries[i] = e;
    }

    const inserted: Array<[string, unknown]> = [];
    if (this.#stepMetrics.size === 0) return inserted;
    for (let i = 0; i < n; i++) {
      const e = rowEntries[i]!;
      const def = e.def;
      if (def === null || !def.syncsStep) continue;
      const step = (def.stepEntry ??= this.#entry(def.msg.stepMetric));
      if (step.row === row) continue;
      const value = this.#stepMetrics.get(step.path) ?? 0;
      step.row = row;
      step.record(value);
      if (step.explicit) {
        step.explicit = false;
        step.value = undefined;
      }
      if (!step.visible) this.#show(step);
      inserted.push([step.path, value]);
    }
    return inserted;
  }

  /**
   * Sets one summary leaf explicitly (`run.summary.set`): the value is one
   * leaf, replacing any logged subtree at `path`, shown until the key is
   * logged again; it clears the metric's aggregation flags, so from then on
   * the summary holds the latest logged value (W&B).
   */
  set(path: string, value: unknown): void {
    checkPath(path);
    const e = this.#entry(path);
    this.#clearAggregation(e);
    e.explicit = true;
    e.value = value;
    if (!e.visible) this.#show(e);
  }

  /** Sets several leaves; each key is a leaf path (as in `SummaryUpdate.setJson`). */
  update(values: Record<string, unknown>): void {
    if (!isPlainObject(values)) {
      throw new TypeError(`Expected \`values\` of summary.update to be a plain object, got ${describeValue(values)}`);
    }
    for (const path in values) this.set(path, values[path]);
  }

  /**
   * Removes a leaf or a subtree from the summary. Metric definitions and
   * aggregates are kept; a later log of the key brings it back. Returns
   * whether anything was removed.
   */
  delete(path: string): boolean {
    checkPath(path);
    let removed = false;
    const e = this.#entries.get(path);
    if (e?.visible) {
      this.#hide(e);
      removed = true;
    }
    if ((this.#interior.get(path) ?? 0) > 0) {
      this.#hideBelow(path);
      removed = true;
    }
    return removed;
  }

  /**
   * The summary as a nested object: for each leaf its latest value, or with
   * aggregation options an object of the requested entries among `min`,
   * `max`, `mean`, `last`, `first` and `best`; leaves of `none` metrics are
   * left out, explicitly set leaves show their value.
   */
  summary(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const e of this.#entries.values()) {
      if (!e.visible) continue;
      const def = this.#defs.get(e.path);
      const flags = def === undefined ? 0 : def.flags;
      if ((flags & F_NONE) !== 0) continue;
      let value: unknown;
      if (e.explicit) value = e.value;
      else if ((flags & F_AGGREGATE) !== 0) value = aggregates(e, def!);
      else value = e.latest;
      setLeaf(out, e.path, value);
    }
    return out;
  }

  /** The latest logged value of a leaf, whether or not it is in the summary. */
  latest(path: string): unknown {
    return this.#entries.get(path)?.latest;
  }

  #entry(path: string): Entry {
    let e = this.#entries.get(path);
    if (e === undefined) {
      e = new Entry(path);
      e.isStepMetric = this.#stepMetrics.has(path);
      this.#entries.set(path, e);
    }
    return e;
  }

  /** Finds the definition of a row key: explicit, else the first glob that matches (which then becomes explicit). */
  #resolve(e: Entry): Definition | null {
    let def = this.#defs.get(e.path) ?? null;
    if (def === null && this.#globs.size > 0 && e.path.charCodeAt(0) !== UNDERSCORE) {
      for (const glob of this.#globs.values()) {
        if (e.path.startsWith(glob.prefix)) {
          def = new Definition({ ...glob.msg, name: e.path, overwrite: false });
          this.#defs.set(e.path, def);
          break;
        }
      }
    }
    e.def = def;
    e.epoch = this.#epoch;
    return def;
  }

  /**
   * An explicit set clears the metric's aggregation flags (W&B): its own
   * definition (made from a glob when one matches) keeps everything but
   * `min`, `max`, `mean`, `first`, `last` and `best`, so later logs show the
   * latest value. `none` and `copy` stay.
   */
  #clearAggregation(e: Entry): void {
    const def = this.#resolve(e);
    if (def === null || (def.flags & F_AGGREGATE) === 0) return;
    const summary = parseSummary(def.msg.summary).filter((o) => (FLAG_OF[o] & F_AGGREGATE) === 0);
    this.#defs.set(e.path, new Definition({ ...def.msg, summary: summary.join(',') }));
    this.#epoch += 1;
  }

  /** Makes a leaf visible, hiding what it replaces: visible leaves below it and above it. */
  #show(e: Entry): void {
    const path = e.path;
    if ((this.#interior.get(path) ?? 0) > 0) this.#hideBelow(path);
    if (path.indexOf('.') !== -1) {
      for (const prefix of ancestors(path)) {
        const parent = this.#entries.get(prefix);
        if (parent?.visible) this.#hide(parent);
        this.#interior.set(prefix, (this.#interior.get(prefix) ?? 0) + 1);
      }
    }
    e.visible = true;
  }

  #hide(e: Entry): void {
    e.visible = false;
    e.explicit = false;
    e.value = undefined;
    if (e.path.indexOf('.') !== -1) {
      for (const prefix of ancestors(e.path)) {
        const left = (this.#interior.get(prefix) ?? 1) - 1;
        if (left === 0) this.#interior.delete(prefix);
        else this.#interior.set(prefix, left);
      }
    }
  }

  #hideBelow(path: string): void {
    const n = path.length;
    for (const other of this.#entries.values()) {
      if (other.visible && other.path.length > n && other.path.charCodeAt(n) === DOT && other.path.startsWith(path)) {
        this.#hide(other);
      }
    }
  }
}

function aggregates(e: Entry, def: Definition): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const numbers = e.count > 0;
  for (const option of def.shown) {
    switch (option) {
      case 'min':
        out.min = numbers ? e.min : 0;
        break;
      case 'max':
        out.max = numbers ? e.max : 0;
        break;
      case 'mean':
        out.mean = numbers ? e.total / e.count : NaN;
        break;
      case 'best':
        out.best = numbers ? (def.maximize ? e.max : e.min) : 0;
        break;
      case 'last':
        out.last = e.latest;
        break;
      case 'first':
        out.first = e.first;
        break;
      default:
        break;
    }
  }
  return out;
}

/** The proper ancestor paths of a leaf path (`a.b.c` → `a`, `a.b`), honouring `\` escapes. */
function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === DOT) out.push(path.slice(0, i));
  }
  return out;
}

function checkPath(path: unknown): asserts path is string {
  if (typeof path !== 'string') {
    throw new TypeError(`Expected the summary key to be a string, got ${describeValue(path)}`);
  }
  if (path === '') throw new CohortError('INVALID_ARGUMENT', 'Expected the summary key to be a non-empty string, got `""` (string)');
}
