/**
 * Storage for Cohort: the domain-level {@link Store} interface and its
 * embedded SQLite implementation (columnar history chunks, one transaction per
 * applied batch, guarded by the run's applied seq).
 *
 * @example
 * import { openSqliteStore } from '@cohort/store';
 * await using store = openSqliteStore(':memory:');
 * await store.listProjects(); // []
 */
export type { Store } from './store.js';
export type {
  AlertScope,
  BatchWrite,
  HistoryColumns,
  JsonSeries,
  NewAlert,
  NewRun,
  NewRunEvent,
  NumericSeries,
  ProjectInfo,
  RunFields,
  RunKey,
  RunPatch,
  RunState,
  StepRange,
  StoredAlert,
  StoredRun,
  StoredRunEvent,
  StoreRunFilter,
} from './types.js';
export { RUN_STATES } from './types.js';
export { SqliteStore, openSqliteStore } from './sqlite/sqlite-store.js';
export { MIGRATIONS, migrate } from './sqlite/schema.js';
export { CHUNK_MAX_POINTS, CHUNK_MERGE_BELOW, decodeFloats, decodeSteps, encodeFloats, encodeSteps } from './sqlite/history-chunks.js';
