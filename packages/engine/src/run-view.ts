import { mergeMetricDefinition, type MetricDefinitionMessage, type MetricView, type RunView } from '@cohort/protocol';
import type { RunState, StoredRun } from '@cohort/store';
import { readMetricDefinitions, readObjectColumn } from './stored-state.js';

/** The run a query returns, and a merged `defineMetric` definition: the HTTP API's shapes (@cohort/protocol, http/runs.ts). */
export type { MetricView, RunView } from '@cohort/protocol';

// Compiles only while the HTTP API's run states are the store's: neither may gain one alone.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type StatesAgree = Holds<Same<RunView['state'], RunState>>;

/** The stored definitions (one entry per `defineMetric` call), merged per name in first-defined order. */
export function metricViews(run: StoredRun): MetricView[] {
  const merged = new Map<string, MetricDefinitionMessage>();
  for (const d of readMetricDefinitions(run)) merged.set(d.name, mergeMetricDefinition(merged.get(d.name), d));
  return [...merged.values()].map((d) => ({ name: d.name, stepMetric: d.stepMetric, hidden: d.hidden, summary: d.summary, goal: d.goal }));
}

/** The {@link RunView} of a stored run. */
export function toRunView(run: StoredRun): RunView {
  return {
    id: run.runId,
    entity: run.entity,
    project: run.project,
    path: `${run.entity}/${run.project}/${run.runId}`,
    name: run.name,
    state: run.state,
    exitCode: run.exitCode,
    group: run.group,
    jobType: run.jobType,
    rank: run.rank,
    worldSize: run.worldSize,
    localRank: run.localRank,
    node: run.node,
    summary: readObjectColumn(run, 'summary'),
    config: readObjectColumn(run, 'config'),
    tags: run.tags,
    notes: run.notes,
    startTime: run.startTime,
    endTime: run.endTime,
    heartbeatAt: run.heartbeatAt,
    runtime: run.runtime,
    lastStep: run.lastStep,
    appliedSeq: run.appliedSeq,
    sweepId: run.sweepId,
    host: run.host,
    mode: run.mode,
    resumed: run.resumed,
    forkedFrom: run.forkedFrom,
    metrics: metricViews(run),
  };
}
