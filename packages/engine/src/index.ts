/**
 * The record processor of Cohort: opens runs (create, resume, fork, rewind),
 * applies record batches exactly once and in order over a `Store`, keeps the
 * summary and config truth, and answers history and run queries.
 *
 * @example
 * import { openSqliteStore } from '@cohort/store';
 * import { Engine } from '@cohort/engine';
 * await using engine = new Engine(openSqliteStore(':memory:'));
 * const run = await engine.openRun(request);
 * const { appliedSeq } = await engine.applyBatch({ entity: run.entity, project: run.project, runId: run.runId }, records);
 */
export { Engine } from './engine.js';
export type { BatchItem, EngineOptions, ExpiredRun, GroupHistoryOptions, WriterKey } from './engine.js';
export { DEFAULT_RUNS_PAGE, MAX_RUNS_PAGE, RUN_FIELDS, type RunField, type RunFilters, type RunListItem, type RunPage, type RunPageOptions } from './run-list.js';
export type { GroupCheckOptions, GroupCheckReport, ResolvedGroupCheckOptions } from './group-checks.js';
export { resolveGroupCheckOptions } from './group-checks.js';
export type { GroupHistoryRow, GroupMemberView, GroupState, GroupView } from './group-view.js';
export { deriveGroupState, stepRate } from './group-view.js';
export type { ApplyResult, RejectedRecord } from './apply-batch.js';
export { SummaryStateCache } from './summary-state-cache.js';
export type { HistoryOptions, HistoryPage, ScanHistoryOptions } from './history-query.js';
export { MAX_HISTORY_ROWS, MAX_PAGE_SIZE } from './history-query.js';
export type { ResumeMode } from './open-run.js';
export type { RunView } from './run-view.js';
export { MAX_SERIES_RUNS, type RunSeriesData, type RunsSeriesOptions, type RunsSeriesResult } from './runs-series.js';
export { DEFAULT_BUCKETS, MAX_BUCKETS, MAX_SERIES_KEYS, bucketExtremes, downsample, xValues, type BucketExtremes } from './series-query.js';
export type { SeriesData, SeriesOptions, SeriesResult } from './series-query.js';
export { ArtifactService, checkEntries, type ArtifactServiceOptions, type ArtifactVersionView, type ManifestEntryInput, type RunRefInput, type SaveArtifactCall } from './artifacts/artifact-service.js';
