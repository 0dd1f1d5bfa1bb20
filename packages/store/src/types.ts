import type { ConsoleChunk } from './artifacts/artifact-types.js';
/**
 * Domain types of the store: what a run row holds, what one applied batch
 * writes, and what history reads return. The engine speaks only these, so an
 * async Postgres store can implement {@link Store} the same way SQLite does.
 */
import type { GroupKey, RankProgress, SystemSample } from './group-types.js';

/** The states a run moves through (docs/run-semantics.md §5). */
export type RunState = 'running' | 'finished' | 'failed' | 'crashed' | 'killed' | 'preempting' | 'preempted' | 'stopped';

/** All run states, in lifecycle order. */
export const RUN_STATES: readonly RunState[] = ['running', 'finished', 'failed', 'crashed', 'killed', 'preempting', 'preempted', 'stopped'];

/** Names one run: `entity/project/runId`. */
export interface RunKey {
  entity: string;
  project: string;
  runId: string;
}

/**
 * The fields of a run that the engine writes. JSON fields hold text written by
 * `stringifyJson` (so NaN survives); the store never interprets them.
 */
export interface RunFields {
  name: string;
  state: RunState;
  exitCode: number | null;
  group: string;
  jobType: string;
  rank: number | null;
  worldSize: number | null;
  localRank: number | null;
  node: string;
  tags: string[];
  notes: string;
  /** JSON object of the run's config. */
  configJson: string;
  /** JSON of the visible (nested) summary. */
  summaryJson: string;
  /** JSON of `SummaryTracker.toJSON()`; '' before the first batch. */
  summaryStateJson: string;
  /** JSON array of every metric definition message applied, in order (replayed by fork/rewind). */
  metricsJson: string;
  /** Seconds since the Unix epoch. */
  startTime: number;
  endTime: number | null;
  heartbeatAt: number | null;
  /** Seconds the run has run, over all its resumes. */
  runtime: number;
  /** `runtime` when the current segment (the last open) began. */
  runtimeBase: number;
  /** When the current segment began (seconds since the epoch). */
  openedAt: number;
  /** The highest stored `_step`, `null` for a run without rows. */
  lastStep: number | null;
  /** The highest record seq applied (of the run's own records; shared-mode writers with a label have their own). */
  appliedSeq: number;
  sweepId: string;
  host: string;
  mode: string;
  /** `"<run>?_step=<n>"` for a forked run, else ''. */
  forkedFrom: string;
  resumed: boolean;
}

/** A new run: its key and every field. */
export type NewRun = RunKey & RunFields;

/** A stored run. */
export interface StoredRun extends NewRun {
  /** The store's internal id of the run. */
  pk: number;
  /**
   * Bumped by every guarded write (batches, reopen, rewind): the optimistic
   * guard that keeps two appliers from both committing.
   */
  version: number;
  /** Seconds since the epoch. */
  createdAt: number;
  updatedAt: number;
}

/** A partial update of a run's fields. */
export type RunPatch = Partial<RunFields>;

/** Numeric cells of one key: steps ascending, one value per step. */
export interface NumericSeries {
  key: string;
  steps: Float64Array;
  values: Float64Array;
}

/** Non-numeric cells of one key, each a JSON text; steps ascending. */
export interface JsonSeries {
  key: string;
  steps: number[];
  values: string[];
}

/** An alert to store. */
export interface NewAlert {
  title: string;
  text: string;
  level: string;
  /** Seconds since the epoch. */
  timestamp: number;
  waitDurationMs: number;
  suppressed: boolean;
}

/** A stored alert. */
export interface StoredAlert extends NewAlert {
  id: number;
  runPk: number;
}

/** One entry of a run's state history. */
export interface NewRunEvent {
  state: string;
  /** Seconds since the epoch. */
  at: number;
  detail: string;
}

/** A stored run event. */
export interface StoredRunEvent extends NewRunEvent {
  id: number;
  runPk: number;
}

/**
 * Everything one applied batch writes, committed in one transaction with the
 * run's new applied seq. Series must hold steps above the run's stored last step.
 */
export interface BatchWrite {
  /** The writer's applied seq after this batch. */
  appliedSeq: number;
  /**
   * The shared-mode writer (its label) whose records these are: its applied
   * seq is kept apart from the run's. '' or absent: the run's own records.
   */
  writer?: string;
  run?: RunPatch;
  numeric?: NumericSeries[];
  json?: JsonSeries[];
  alerts?: NewAlert[];
  events?: NewRunEvent[];
  /**
   * Remove the run's history after this step first (a torchelastic restart
   * replaying steps from a checkpoint); the series then continue from it.
   * The run's group aggregates above it are rebuilt from the members.
   */
  rewindAfter?: number;
  /**
   * The run's group: the store merges the batch's numeric series of metrics
   * (keys not starting with `_`) into the group's aggregate chunks.
   */
  aggregates?: { group: GroupKey };
  /** Progress fields of the run to set. */
  progress?: Partial<RankProgress>;
  /** System metric samples of the run's processes. */
  system?: SystemSample[];
  /** Console lines (`output.log`), docs/artifacts.md. */
  console?: ConsoleChunk[];
}

/** One batch of `Store.commitBatches`: the run, the version its write was planned against, and the write. */
export interface BatchCommit {
  pk: number;
  expectedVersion: number;
  write: BatchWrite;
}

/** What {@link Store.findRunHead} reads of a run. */
export interface RunHead {
  pk: number;
  version: number;
  heartbeatAt: number | null;
}

/** Filters of {@link Store.listRuns} that the store evaluates itself, and the page to read. */
export interface StoreRunFilter {
  states?: RunState[];
  group?: string;
  jobType?: string;
  name?: string;
  /** Runs holding every one of these tags. */
  tags?: readonly string[];
  /**
   * Config and summary equality on leaf paths: the store keeps the runs that
   * may match (the key as one top-level name or split at its dots, compared
   * as JSON); the caller checks the exact rule on the rows it gets.
   */
  config?: Readonly<Record<string, unknown>>;
  summary?: Readonly<Record<string, unknown>>;
  /** Runs listed after this one (newest first by `createdAt`, then `pk`). */
  after?: { createdAt: number; pk: number };
  /** At most this many runs. */
  limit?: number;
  /**
   * Leave out `configJson` and `summaryJson` (read as `''`). A listing never
   * reads the summary state (`summaryStateJson` is `''`).
   */
  brief?: boolean;
}

/** A project and its run count. */
export interface ProjectInfo {
  entity: string;
  project: string;
  runCount: number;
  /** Seconds since the epoch of the last change to any of its runs. */
  updatedAt: number;
}

/** A step range; both ends inclusive and optional. */
export interface StepRange {
  minStep?: number;
  maxStep?: number;
}

/**
 * Which history keys of a run to list. Each answer costs by the keys it
 * names or returns, not by the run's key count (docs/SECURITY.md, "Limits").
 */
export interface HistoryKeyQuery {
  /** Only these keys and the keys under them (`a` matches `a` and `a.b`, not `ab`). */
  match?: readonly string[];
  /** Leave out keys that start with `_` (`_step`, `_runtime`, `_timestamp`). */
  visibleOnly?: boolean;
  /** At most this many keys, the first logged first. */
  limit?: number;
}

/** Columns of a history read. */
export interface HistoryColumns {
  numeric: NumericSeries[];
  json: JsonSeries[];
}

/** Which runs an alert title is deduplicated across (a run, or its whole group). */
export interface AlertScope {
  runPk: number;
  /** When set (non-empty), alerts of every run of this entity/project/group count. */
  group?: { entity: string; project: string; group: string };
}

/** Options of {@link Store.compactHistory}: one pass of history compaction. */
export interface CompactionOptions {
  /** A key is compacted once it holds this many small chunks. Default 8. */
  minSmallChunks?: number;
  /** Keys looked at in one pass. Default 4096. */
  maxKeys?: number;
  /** Chunks one run's compaction takes out at most; the rest waits for the next pass. Default 20,000. */
  maxChunksPerRun?: number;
}

/** What one pass of {@link Store.compactHistory} did. */
export interface CompactionReport {
  /** Runs whose history it rewrote. */
  runs: number;
  /** Keys whose chunks it merged. */
  keys: number;
  /** Chunks taken out. */
  chunksRemoved: number;
  /** Merged chunks written in their place. */
  chunksWritten: number;
}
