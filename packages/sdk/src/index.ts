/**
 * The Cohort SDK: W&B's `Run` API in TypeScript, for a self-hosted Cohort
 * server. `log()` is cheap (no I/O on your turn); records go through a local
 * write-ahead log to the server, which acknowledges what it committed.
 *
 * @example
 * import { init, withRun, Api } from '@cohort/sdk';
 *
 * // COHORT_URL defaults to http://127.0.0.1:7712 (`cohort server`).
 * await withRun({ project: 'mnist', config: { lr: 0.01 } }, async (run) => {
 *   run.defineMetric('val/loss', { summary: 'min' });
 *   for (let step = 0; step < 100; step++) {
 *     run.log({ 'train/loss': 1 / (step + 1) });
 *     if (step % 10 === 0) run.log({ 'val/loss': 2 / (step + 1) }, { commit: false });
 *   }
 *   console.log(run.summary.get('val/loss')); // { min: ... }
 * });
 *
 * const api = new Api();
 * const [latest] = await api.runs('mnist');
 * console.log(latest?.summary);
 */
export { init, log, finish, withRun, run } from './init.js';
export { Run, type LogOptions, type RunDefineMetricOptions, type RunStatus, type RunState } from './run.js';
export { RunSummary } from './run-summary.js';
export { RunConfig, type RunConfigView } from './run-config.js';
export type { InitOptions, ResolvedInitOptions, RunMode, ResumeOption } from './init-options.js';
export { resolveInitOptions } from './init-options.js';
export type { Settings, ResolvedSettings } from './settings.js';
export { DEFAULT_HEARTBEAT_SECONDS } from './settings.js';
export { defaultLogger, silentLogger, type Logger } from './logger.js';
export { syncRunDir, type SyncOptions, type SyncOutcome, type SyncProgress, type SyncResult } from './sync.js';
export { terminalProgress, type ProgressLine, type ProgressStream } from './terminal-progress.js';
export { Api, type ApiOptions, type RunsOptions, type ProjectView } from './api/api.js';
export { ApiRun, type RunView, type HistoryRow, type HistoryOptions, type ScanHistoryOptions } from './api/api-run.js';
export { ApiGroup, type GroupView, type GroupMemberView, type GroupHistoryRow, type GroupHistoryOptions, type AggregateValue } from './api/api-group.js';
export { ApiSweep } from './api/api-sweep.js';
export { sweep, agent, type SweepOptions, type AgentOptions, type TrialContext } from './sweeps/sweep-agent.js';
export { SweepClient, agentName, type SweepRef, type SweepServerOptions } from './sweeps/sweep-client.js';
export { readSweepEnv, SWEEP_ENV, type SweepTrialEnv } from './sweeps/sweep-env.js';
export type { PreemptionNoticeSettings } from './settings.js';
export { detectDistributedEnv, groupRunId, type DistributedEnv, type DistributedSource } from './dist-env.js';
export { SystemMetricsCollector, parseNvidiaSmi, NVIDIA_SMI_ARGS, NVIDIA_SMI_FIELDS, type SystemMetricsCollectorOptions } from './system-metrics.js';
export { PREEMPTION_ENDPOINTS, isPreemptionNotice, type PreemptionCloud } from './preemption.js';
export * from './media/index.js';
export type { SeriesOptions, SeriesData, SeriesResult, AlertView, StateEventView } from './api/api-series.js';
export { WalCorruptionError } from './wal/wal-format.js';
export { readWal, type WalSegmentScan } from './wal/wal-reader.js';
export { CohortError, UsageError, ConfigError, type ErrorCode } from '@cohort/protocol';
export type { Metric, DefineMetricOptions, AlertOptions, AlertLevel } from '@cohort/protocol';
export { Artifact, type ArtifactManifestEntry, type ArtifactOptions, type ArtifactRunRef, type ArtifactState } from './artifacts/artifact.js';
export type { FinishArtifactOptions, LogArtifactOptions, LogCodeOptions, LogModelOptions, UpsertArtifactOptions, UseArtifactOptions } from './artifacts/run-artifacts.js';
export type { RestoreOptions, SaveOptions, SavePolicy } from './files/run-files.js';
