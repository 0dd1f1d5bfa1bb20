/**
 * Storage for Cohort: the domain-level {@link Store} interface, its embedded
 * SQLite implementation and its scaled-mode PostgreSQL one (columnar history
 * chunks, one transaction per applied batch, guarded by the run's version).
 *
 * @example
 * import { openPostgresStore, openSqliteStore } from '@cohort/store';
 * await using store = openSqliteStore(':memory:');
 * await store.listProjects(); // []
 * await using shared = await openPostgresStore('postgres://cohort@db:5432/cohort');
 */
export type { Store } from './store.js';
export type {
  AlertScope,
  CompactionOptions,
  CompactionReport,
  BatchCommit,
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
  HistoryKeyQuery,
  RunHead,
  StepRange,
  StoredAlert,
  StoredRun,
  StoredRunEvent,
  StoreRunFilter,
} from './types.js';
export { RUN_STATES } from './types.js';
export type { GroupStore } from './group-store.js';
export type { GroupClaim } from './group-claims.js';
export type {
  AggregateCell,
  AggregateQuery,
  GroupAnnounce,
  GroupFilter,
  GroupKey,
  GroupPatch,
  RankProgress,
  StoredGroup,
  StoredRankProgress,
  SystemSample,
} from './group-types.js';
export { isAggregatedKey } from './group-types.js';
export { AGG_CHUNK_STEPS } from './aggregate-chunks.js';
export { SqliteStore, openSqliteStore } from './sqlite/sqlite-store.js';
export { MIGRATIONS, migrate } from './sqlite/schema.js';
export { CHUNK_MAX_POINTS, CHUNK_MERGE_BELOW, decodeFloats, decodeSteps, encodeFloats, encodeSteps } from './sqlite/history-chunks.js';
export { PostgresStore, openPostgresStore } from './postgres/postgres-store.js';
export type { PostgresStoreOptions } from './postgres/postgres-store.js';
export { POSTGRES_MIGRATIONS, migratePostgres } from './postgres/pg-schema.js';
export * from './artifacts/index.js';
export * from './blobs/index.js';
export * from './identity/index.js';
export * from './sweeps/index.js';
export { noRoomForRun, type RunRoom } from './run-room.js';
