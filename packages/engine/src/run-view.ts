import { parseJson, isPlainObject, mergeMetricDefinition, type MetricDefinitionMessage } from '@cohort/protocol';
import type { RunState, StoredRun } from '@cohort/store';

/** The run a query returns: what the HTTP API and the SDK's `Api` show. */
export interface RunView {
  id: string;
  entity: string;
  project: string;
  /** `entity/project/id`. */
  path: string;
  name: string;
  state: RunState;
  exitCode: number | null;
  group: string;
  jobType: string;
  rank: number | null;
  worldSize: number | null;
  localRank: number | null;
  node: string;
  /** The visible summary, nested. */
  summary: Record<string, unknown>;
  config: Record<string, unknown>;
  tags: string[];
  notes: string;
  /** Seconds since the Unix epoch. */
  startTime: number;
  endTime: number | null;
  heartbeatAt: number | null;
  /** Seconds run, over all resumes. */
  runtime: number;
  lastStep: number | null;
  appliedSeq: number;
  sweepId: string;
  host: string;
  mode: string;
  resumed: boolean;
  /** `"<run>?_step=<n>"` for a forked run, else ''. */
  forkedFrom: string;
  /** `defineMetric` definitions, merged per name (a name ending in `*` is a glob): what charts honour (docs/http-api.md). */
  metrics: MetricView[];
}

/** A merged `defineMetric` definition as the dashboard reads it. */
export interface MetricView {
  name: string;
  /** The metric's default x-axis; '' when none. */
  stepMetric: string;
  hidden: boolean;
  summary: string;
  goal: string;
}

/** The stored definitions (one entry per `defineMetric` call), merged per name in first-defined order. */
export function metricViews(metricsJson: string): MetricView[] {
  const raw = metricsJson === '' ? [] : parseJson(metricsJson);
  const merged = new Map<string, MetricDefinitionMessage>();
  if (Array.isArray(raw)) for (const d of raw as MetricDefinitionMessage[]) merged.set(d.name, mergeMetricDefinition(merged.get(d.name), d));
  return [...merged.values()].map((d) => ({ name: d.name, stepMetric: d.stepMetric, hidden: d.hidden, summary: d.summary, goal: d.goal }));
}

/** Parses a stored JSON object column; `{}` for anything else. */
export function parseObject(text: string): Record<string, unknown> {
  if (text === '') return {};
  const value = parseJson(text);
  return isPlainObject(value) ? value : {};
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
    summary: parseObject(run.summaryJson),
    config: parseObject(run.configJson),
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
    metrics: metricViews(run.metricsJson),
  };
}
