import type { RunFields, RunState, StoredRun } from '../types.js';
import { STRING_ARRAY, readStoredJson } from '../stored-json.js';

/**
 * The mapping between {@link RunFields} and the columns of `runs`, in one
 * place so inserts, partial updates and reads cannot drift apart.
 */
interface Column {
  column: string;
  toDb: (value: never) => unknown;
}

const same = (v: unknown): unknown => v;
const bool = (v: boolean): number => (v ? 1 : 0);
const json = (v: string[]): string => JSON.stringify(v);

export const RUN_COLUMNS: { readonly [K in keyof RunFields]-?: Column } = {
  name: { column: 'name', toDb: same },
  state: { column: 'state', toDb: same },
  exitCode: { column: 'exit_code', toDb: same },
  group: { column: 'run_group', toDb: same },
  jobType: { column: 'job_type', toDb: same },
  rank: { column: 'rank', toDb: same },
  worldSize: { column: 'world_size', toDb: same },
  localRank: { column: 'local_rank', toDb: same },
  node: { column: 'node', toDb: same },
  tags: { column: 'tags', toDb: json },
  notes: { column: 'notes', toDb: same },
  configJson: { column: 'config', toDb: same },
  summaryJson: { column: 'summary', toDb: same },
  summaryStateJson: { column: 'summary_state', toDb: same },
  metricsJson: { column: 'metrics', toDb: same },
  startTime: { column: 'start_time', toDb: same },
  endTime: { column: 'end_time', toDb: same },
  heartbeatAt: { column: 'heartbeat_at', toDb: same },
  runtime: { column: 'runtime', toDb: same },
  runtimeBase: { column: 'runtime_base', toDb: same },
  openedAt: { column: 'opened_at', toDb: same },
  lastStep: { column: 'last_step', toDb: same },
  appliedSeq: { column: 'applied_seq', toDb: same },
  sweepId: { column: 'sweep_id', toDb: same },
  host: { column: 'host', toDb: same },
  mode: { column: 'mode', toDb: same },
  forkedFrom: { column: 'forked_from', toDb: same },
  resumed: { column: 'resumed', toDb: bool },
};

/** Named parameters (`@field`) for the given fields of a run. */
export function toParams(fields: Partial<RunFields>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const col = RUN_COLUMNS[field as keyof RunFields];
    if (!col) continue;
    out[field] = col.toDb(value as never);
  }
  return out;
}

/** A row of `runs` as read by `SELECT *`. */
export interface RunRow {
  pk: number;
  entity: string;
  project: string;
  run_id: string;
  name: string;
  state: string;
  exit_code: number | null;
  run_group: string;
  job_type: string;
  rank: number | null;
  world_size: number | null;
  local_rank: number | null;
  node: string;
  tags: string;
  notes: string;
  config: string;
  summary: string;
  summary_state: string;
  metrics: string;
  start_time: number;
  end_time: number | null;
  heartbeat_at: number | null;
  runtime: number;
  runtime_base: number;
  opened_at: number;
  last_step: number | null;
  applied_seq: number;
  version: number;
  sweep_id: string;
  host: string;
  mode: string;
  forked_from: string;
  resumed: number;
  created_at: number;
  updated_at: number;
}

/** Reads a `runs` row into a {@link StoredRun}. */
export function fromRow(r: RunRow): StoredRun {
  return {
    pk: r.pk,
    version: r.version,
    entity: r.entity,
    project: r.project,
    runId: r.run_id,
    name: r.name,
    state: r.state as RunState,
    exitCode: r.exit_code,
    group: r.run_group,
    jobType: r.job_type,
    rank: r.rank,
    worldSize: r.world_size,
    localRank: r.local_rank,
    node: r.node,
    tags: readStoredJson(r.tags, STRING_ARRAY, `run ${r.entity}/${r.project}/${r.run_id}: column tags`),
    notes: r.notes,
    configJson: r.config,
    summaryJson: r.summary,
    summaryStateJson: r.summary_state,
    metricsJson: r.metrics,
    startTime: r.start_time,
    endTime: r.end_time,
    heartbeatAt: r.heartbeat_at,
    runtime: r.runtime,
    runtimeBase: r.runtime_base,
    openedAt: r.opened_at,
    lastStep: r.last_step,
    appliedSeq: r.applied_seq,
    sweepId: r.sweep_id,
    host: r.host,
    mode: r.mode,
    forkedFrom: r.forked_from,
    resumed: r.resumed !== 0,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
