import { z } from 'zod';
import { CohortError, describeValue } from '../errors.js';
import { parseJson } from '../json.js';
import { isPlainObject } from '../leaf-path.js';
import type { MetricDefinitionMessage } from '../records.js';
import type { SummaryState } from '../rules/summary-tracker.js';
import { formatIssue } from './format-issue.js';

/**
 * The JSON state the engine keeps in a run's row (the summary tracker's
 * state, the metric definitions), checked when read back rather than cast:
 * a damaged row fails with DATA_LOSS naming the run and the column.
 */

// Any number, NaN and the infinities included (stringifyJson keeps them; z.number() refuses them).
const anyNumber = z.custom<number>((v) => typeof v === 'number', { message: 'must be a number' });

/** One stored `defineMetric` definition; fields a definition of an older server lacks take their empty values. */
export const storedMetricDefinitionSchema = z.object({
  name: z.string(),
  stepMetric: z.string().default(''),
  stepSync: z.boolean().default(false),
  hidden: z.boolean().default(false),
  summary: z.string().default(''),
  goal: z.string().default(''),
  overwrite: z.boolean().default(false),
}) satisfies z.ZodType<MetricDefinitionMessage, unknown>;

/** A JSON object column (a run's `config`, its `summary`): checked as an object, its values left as they are (not copied). */
export const storedObjectSchema = z.custom<Record<string, unknown>>(isPlainObject, { message: 'must be a JSON object' });

/** A run's `metrics` column: every `defineMetric` call, in order. */
export const storedMetricDefinitionsSchema = z.array(storedMetricDefinitionSchema);

const storedMetricStateSchema = z.object({
  path: z.string(),
  visible: z.boolean(),
  explicit: z.boolean(),
  value: z.unknown().optional(),
  latest: z.unknown().optional(),
  first: z.unknown().optional(),
  count: anyNumber.exactOptional(),
  total: anyNumber.exactOptional(),
  min: anyNumber.exactOptional(),
  max: anyNumber.exactOptional(),
});

/** A run's `summary_state` column: {@link SummaryState} of version 1. */
export const storedSummaryStateSchema = z.object({
  version: z.literal(1),
  definitions: storedMetricDefinitionsSchema,
  globs: storedMetricDefinitionsSchema,
  stepMetrics: z.array(z.tuple([z.string(), anyNumber])),
  metrics: z.array(storedMetricStateSchema),
}) satisfies z.ZodType<SummaryState, unknown>;

/**
 * Parses stored JSON `text` (NaN kept, as `stringifyJson` wrote it) and
 * checks it against `schema`. `where` names the row and the column, e.g.
 * `run e/p/r: column summary_state`. Throws `CohortError` DATA_LOSS.
 *
 * @example
 * const state = parseStoredState(run.summaryStateJson, storedSummaryStateSchema, 'run e/p/r: column summary_state');
 */
export function parseStoredState<T>(text: string, schema: z.ZodType<T, unknown>, where: string): T {
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (err) {
    throw new CohortError('DATA_LOSS', `${where}: stored text is not JSON (${(err as Error).message}), got ${describeValue(text)}`, { cause: err });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new CohortError('DATA_LOSS', formatIssue(where, parsed.error.issues));
  return parsed.data;
}
