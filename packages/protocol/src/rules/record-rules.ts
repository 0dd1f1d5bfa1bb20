import { describeValue } from '../errors.js';
import { ALERT_LEVELS } from './alert-rules.js';

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
