import type { RunRoom } from './run-room.js';
import type { ArtifactStore } from './artifacts/artifact-store.js';
import type { IdentityStore } from './identity/identity-store.js';
import type { GroupStore } from './group-store.js';
import type { SweepStore } from './sweeps/sweep-store.js';
import type {
  AlertScope,
  BatchCommit,
  BatchWrite,
  CompactionOptions,
  CompactionReport,
  HistoryColumns,
  NewRun,
  NewRunEvent,
  ProjectInfo,
  RunKey,
  RunPatch,
  RunState,
  HistoryKeyQuery,
  RunHead,
  StepRange,
  StoredAlert,
  StoredRun,
  StoredRunEvent,
  StoreRunFilter,
} from './types.js';

/**
 * Domain-level storage of runs, history, alerts and run events. Every method
 * is async so the Postgres store (scaled mode) implements the same interface
 * as {@link SqliteStore}. Writes that belong together are one method, hence
 * one transaction.
 *
 * @example
 * await using store = openSqliteStore(':memory:');
 * const run = await store.findRun({ entity: 'local', project: 'p', runId: 'abc' });
 */
export interface Store extends GroupStore {
  /** Finds a run by its key. */
  findRun(key: RunKey): Promise<StoredRun | undefined>;
  /**
   * A run's internal id and what tells that it changed (`version`, bumped by
   * every patch, and `heartbeatAt`), without its row's config and summary:
   * the read paths and live views' polls need no more.
   */
  findRunHead(key: RunKey): Promise<RunHead | undefined>;
  /** Finds runs by key in one read: one entry per key, in order, `undefined` for a run that does not exist. */
  findRuns(keys: readonly RunKey[]): Promise<Array<StoredRun | undefined>>;
  /** Finds a run by its internal id. */
  getRunByPk(pk: number): Promise<StoredRun | undefined>;
  /**
   * Creates a run (with a first event). Throws `CohortError` ALREADY_EXISTS
   * when a run with that key exists.
   */
  createRun(run: NewRun, event?: NewRunEvent, room?: RunRoom): Promise<StoredRun>;
  /**
   * Updates fields of a run (bumping its version), only if its version is
   * still `expectedVersion` when given. Returns false when the guard failed
   * or the run is gone.
   */
  updateRun(pk: number, patch: RunPatch, options?: { expectedVersion?: number; event?: NewRunEvent }): Promise<boolean>;
  /**
   * Commits one batch in one transaction and bumps the run's version: returns
   * false, writing nothing, when the version is not `expectedVersion` (another
   * applier committed since the run was read; a resent batch then finds its
   * records applied).
   */
  commitBatch(pk: number, expectedVersion: number, write: BatchWrite): Promise<boolean>;
  /**
   * Commits the batches of many runs (one item per run, else INVALID_ARGUMENT)
   * in ONE transaction: each item is written as {@link commitBatch} would,
   * where its run's version is still its `expectedVersion`, and skipped
   * (false, nothing of it written) where it is not; the others still commit.
   * A throw writes nothing of any item. Answers one boolean per item.
   */
  commitBatches(items: readonly BatchCommit[]): Promise<boolean[]>;
  /** The applied seq of a shared-mode writer of a run (its label); '' is the run's own. 0 before any. */
  writerAppliedSeq(pk: number, writer: string): Promise<number>;
  /** {@link writerAppliedSeq} of many (run, writer) pairs in one read, in order. */
  writerAppliedSeqs(keys: readonly { pk: number; writer: string }[]): Promise<number[]>;
  /**
   * Creates `run` with the history of `sourcePk` up to `maxStep` (inclusive)
   * copied, in one transaction. Throws ALREADY_EXISTS like {@link createRun}.
   */
  forkRun(sourcePk: number, maxStep: number, run: NewRun, event?: NewRunEvent, room?: RunRoom): Promise<StoredRun>;
  /**
   * Removes the history after `afterStep` (trimming chunks that span it) and
   * applies `patch`, in one transaction guarded by `expectedVersion`.
   */
  rewindRun(pk: number, expectedVersion: number, afterStep: number, patch: RunPatch, event?: NewRunEvent): Promise<boolean>;
  /** Sets `heartbeatAt` (and `runtime` when given). Returns false for an unknown run. */
  heartbeat(pk: number, at: number, runtime?: number): Promise<boolean>;
  /** Projects with runs, optionally of one entity, by name. */
  listProjects(entity?: string): Promise<ProjectInfo[]>;
  /**
   * How many runs a project holds, counting no further than `upTo` (so a
   * check against a limit reads at most `upTo` index entries).
   */
  countRuns(entity: string, project: string, upTo: number): Promise<number>;
  /** Runs of a project, newest first. */
  listRuns(entity: string, project: string, filter?: StoreRunFilter): Promise<StoredRun[]>;
  /** Runs in one of `states` whose heartbeat (or start, without one) is before `before`. */
  listStaleRuns(states: RunState[], before: number): Promise<StoredRun[]>;
  /** The history keys of a run, in first-logged order (all, or those `query` asks for). */
  listHistoryKeys(pk: number, query?: HistoryKeyQuery): Promise<string[]>;
  /** Cells of the given keys (all keys when absent) within a step range. */
  readHistory(pk: number, query?: StepRange & { keys?: readonly string[] }): Promise<HistoryColumns>;
  /**
   * Steps of the run's rows (every row has a `_timestamp`) from `minStep` on,
   * ascending, at most `limit` of them.
   */
  readRowSteps(pk: number, query?: StepRange & { limit?: number }): Promise<Float64Array>;
  /**
   * One pass of history compaction: merges small chunks that batches left
   * behind (Postgres writes each batch's cells as they come). A no-op on
   * SQLite, which grows a key's tail chunk in the write itself. Safe beside
   * writers; run it from one place at a time (a housekeeping task).
   */
  compactHistory(options?: CompactionOptions): Promise<CompactionReport>;
  /** The latest unsuppressed alert with `title` in the scope, if any. */
  lastAlert(scope: AlertScope, title: string): Promise<StoredAlert | undefined>;
  /** A run's alerts, oldest first. */
  listAlerts(pk: number): Promise<StoredAlert[]>;
  /** A run's state history, oldest first. */
  listRunEvents(pk: number): Promise<StoredRunEvent[]>;
  /** Artifacts, a run's saved files and alert deliveries (docs/artifacts.md). */
  readonly artifacts: ArtifactStore;
  /** Users, entities (users and teams), memberships, API keys and blob grants: who may see what. */
  readonly identity: IdentityStore;
  /** Sweeps and their trials (docs/sweeps.md). */
  readonly sweeps: SweepStore;
  /** Closes the store; later calls fail. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
