import { parseStoredState, storedMetricDefinitionsSchema, storedObjectSchema, storedSummaryStateSchema, type MetricDefinitionMessage, type SummaryState } from '@cohort/protocol';
import type { StoredRun } from '@cohort/store';

/**
 * The JSON state in a run's row, read back checked (@cohort/protocol,
 * stored-state-schema.ts): a damaged column fails the call that meets it with
 * DATA_LOSS naming the run and the column; the server goes on serving.
 */

/** How errors name a column of a run's row. */
function column(run: Pick<StoredRun, 'entity' | 'project' | 'runId'>, name: string): string {
  return `run ${run.entity}/${run.project}/${run.runId}: column ${name}`;
}

/** The run's summary state (`text`, its `summary_state` column unless given), `undefined` before its first batch. */
export function readSummaryState(run: Pick<StoredRun, 'entity' | 'project' | 'runId'>, text: string): SummaryState | undefined {
  return text === '' ? undefined : parseStoredState(text, storedSummaryStateSchema, column(run, 'summary_state'));
}

/** The run's `defineMetric` definitions (its `metrics` column), in the order defined. */
export function readMetricDefinitions(run: Pick<StoredRun, 'entity' | 'project' | 'runId' | 'metricsJson'>): MetricDefinitionMessage[] {
  return run.metricsJson === '' ? [] : parseStoredState(run.metricsJson, storedMetricDefinitionsSchema, column(run, 'metrics'));
}

/** The run's config or summary (its `config` or `summary` column) as an object; `{}` for an empty text (a brief listing reads none). */
export function readObjectColumn(run: Pick<StoredRun, 'entity' | 'project' | 'runId' | 'configJson' | 'summaryJson'>, name: 'config' | 'summary'): Record<string, unknown> {
  const text = name === 'config' ? run.configJson : run.summaryJson;
  return text === '' ? {} : parseStoredState(text, storedObjectSchema, column(run, name));
}
