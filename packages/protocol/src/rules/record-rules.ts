import { describeValue } from '../errors.js';
import type { MetricDefinitionMessage } from '../records.js';
import { ALERT_LEVELS } from './alert-rules.js';
import { SUMMARY_OPTIONS } from './metric-definition.js';

/**
 * Rules on record bodies that both the input check (schemas/record-schema.ts,
 * at the coordinator's boundary) and the engine (apply-batch.ts) apply: one
 * function each, answering the rule broken (without the field's name, which
 * each caller puts first) or `undefined`, so the two cannot disagree.
 */

/** An alert's level: exactly INFO, WARN or ERROR (the SDK always sends one; an empty level is refused). */
export function alertLevelIssue(level: unknown): string | undefined {
  return (ALERT_LEVELS as readonly unknown[]).includes(level) ? undefined : `expected one of ${ALERT_LEVELS.join(', ')}, got ${describeValue(level)}`;
}

/** A system sample: one value per metric name. */
export function systemValuesIssue(keys: readonly unknown[], values: readonly unknown[]): string | undefined {
  return keys.length === values.length ? undefined : `expected one value per key (${keys.length} keys), got ${values.length}`;
}

/** An exit record's code: an integer. */
export function exitCodeIssue(exitCode: unknown): string | undefined {
  return Number.isSafeInteger(exitCode) ? undefined : `expected an integer, got ${describeValue(exitCode)}`;
}

/** The goals a stored definition may carry (the SDK's parseMetricDefinition writes one of these). */
const GOALS: readonly string[] = ['', 'minimize', 'maximize'];

/**
 * A `defineMetric` record as parseMetricDefinition writes it: `*` only as the
 * name's last character, a step metric without `*`, summary options from
 * SUMMARY_OPTIONS (lower case, comma-separated), a goal of minimize or
 * maximize. Answers the field and the rule broken.
 */
export function metricDefinitionIssue(def: MetricDefinitionMessage): { field: keyof MetricDefinitionMessage; message: string } | undefined {
  const star = def.name.indexOf('*');
  if (star !== -1 && star !== def.name.length - 1) return { field: 'name', message: `expected "*" only as the last character, got ${describeValue(def.name)}` };
  if (def.stepMetric.includes('*')) return { field: 'stepMetric', message: `expected one metric (no "*"), got ${describeValue(def.stepMetric)}` };
  if (def.summary !== '') {
    for (const part of def.summary.split(',')) {
      if (!(SUMMARY_OPTIONS as readonly string[]).includes(part.toLowerCase())) {
        return { field: 'summary', message: `expected each part to be one of ${SUMMARY_OPTIONS.join(', ')} (comma-separated, no spaces), got ${describeValue(part)} in ${describeValue(def.summary)}` };
      }
    }
  }
  if (!GOALS.includes(def.goal)) return { field: 'goal', message: `expected minimize, maximize or "", got ${describeValue(def.goal)}` };
  return undefined;
}
