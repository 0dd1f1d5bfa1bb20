import { CohortError, describeValue } from '../errors.js';
import { isPlainObject } from '../leaf-path.js';
import type { MetricDefinitionMessage } from '../records.js';

/**
 * `defineMetric` (docs/run-semantics.md §2): checking its arguments, and merging a
 * definition with an earlier one of the same name.
 */

/** The summary options `defineMetric` accepts. */
export const SUMMARY_OPTIONS = ['min', 'max', 'mean', 'first', 'last', 'best', 'copy', 'none'] as const;

/** One summary option. */
export type SummaryOption = (typeof SUMMARY_OPTIONS)[number];

/** A normalized goal. */
export type MetricGoal = 'minimize' | 'maximize';

/** The options of `run.defineMetric(name, opts)`. */
export interface DefineMetricOptions {
  /** The metric to use as this metric's x axis. */
  stepMetric?: string;
  /** Insert the step metric's latest value into rows that lack it. @defaultValue `true` when `stepMetric` is set */
  stepSync?: boolean;
  /** Hide the metric in the UI. */
  hidden?: boolean;
  /** Comma-separated aggregations: `min, max, mean, first, last, best, copy, none`. */
  summary?: string;
  /** `minimize` or `maximize` (only the first three letters count). @defaultValue `minimize` for `best` */
  goal?: string;
  /** Start from an empty definition instead of merging with the earlier one. */
  overwrite?: boolean;
}

/** A merged metric definition, as `defineMetric` returns it to users. */
export interface Metric {
  readonly name: string;
  readonly stepMetric: string | undefined;
  readonly stepSync: boolean;
  readonly hidden: boolean;
  readonly summary: readonly SummaryOption[];
  readonly goal: MetricGoal | undefined;
}

const OPTION_TYPES: Record<keyof DefineMetricOptions, 'string' | 'boolean'> = {
  stepMetric: 'string',
  stepSync: 'boolean',
  hidden: 'boolean',
  summary: 'string',
  goal: 'string',
  overwrite: 'boolean',
};

const ALLOWED = new Set<string>(SUMMARY_OPTIONS);

function invalid(message: string): CohortError {
  return new CohortError('INVALID_ARGUMENT', message);
}

/**
 * Checks the arguments of `defineMetric(name, opts)` and returns the record to
 * send. Every problem is a `CohortError` INVALID_ARGUMENT (the reference
 * raises `wandb.Error` for wrong types too), thrown before anything is sent.
 *
 * The result is normalized: `summary` lower-cased, de-duplicated and joined
 * with `,`; `goal` `minimize`, `maximize` or `""`; `stepSync` true when a
 * `stepMetric` is set and `stepSync` was not given.
 *
 * @example
 * parseMetricDefinition('val/*', { summary: 'min,MAX', goal: 'Maximize' });
 * // { name: 'val/*', stepMetric: '', stepSync: false, hidden: false, summary: 'min,max', goal: 'maximize', overwrite: false }
 */
export function parseMetricDefinition(name: unknown, opts?: unknown): MetricDefinitionMessage {
  if (typeof name !== 'string') {
    throw invalid(`Expected \`name\` of defineMetric to be a string, got ${describeValue(name)}`);
  }
  if (name === '') throw invalid('Expected `name` of defineMetric to be a non-empty string, got `""` (string)');
  const star = name.indexOf('*');
  if (star !== -1 && star !== name.length - 1) {
    throw invalid(`Expected \`name\` of defineMetric to use "*" only as its last character, got ${describeValue(name)}`);
  }
  const given = readOptions(opts);

  const stepMetric = given.stepMetric ?? '';
  if (stepMetric.includes('*')) {
    throw invalid(`Expected \`stepMetric\` to name one metric (no "*"), got ${describeValue(stepMetric)}`);
  }
  const summary = given.summary === undefined ? '' : parseSummary(given.summary).join(',');
  let goal = '';
  if (given.goal !== undefined && given.goal !== '') {
    const head = given.goal.slice(0, 3).toLowerCase();
    if (head === 'min') goal = 'minimize';
    else if (head === 'max') goal = 'maximize';
    else throw invalid(`Expected \`goal\` to start with "min" or "max" (minimize or maximize), got ${describeValue(given.goal)}`);
  }
  return {
    name,
    stepMetric,
    stepSync: given.stepSync ?? stepMetric !== '',
    hidden: given.hidden ?? false,
    summary,
    goal,
    overwrite: given.overwrite ?? false,
  };
}

function readOptions(opts: unknown): DefineMetricOptions {
  if (opts === undefined || opts === null) return {};
  if (!isPlainObject(opts)) {
    throw invalid(`Expected the options of defineMetric to be an object, got ${describeValue(opts)}`);
  }
  const out: Record<string, unknown> = {};
  for (const key in opts) {
    const value = opts[key];
    if (!Object.hasOwn(OPTION_TYPES, key)) {
      throw invalid(
        `Unknown defineMetric option \`${key}\`: expected one of ${Object.keys(OPTION_TYPES).join(', ')}`,
      );
    }
    if (value === undefined || value === null) continue;
    const type = OPTION_TYPES[key as keyof DefineMetricOptions];
    if (typeof value !== type) {
      throw invalid(`Expected \`${key}\` of defineMetric to be a ${type}, got ${describeValue(value)}`);
    }
    out[key] = value;
  }
  return out as DefineMetricOptions;
}

/**
 * Splits a `summary` option into its parts: split on `,`, each lower-cased
 * but not trimmed (`"min, max"` fails on `" max"`), de-duplicated. `""` is no
 * option.
 */
export function parseSummary(summary: string): SummaryOption[] {
  if (summary === '') return [];
  const out: SummaryOption[] = [];
  for (const raw of summary.split(',')) {
    const part = raw.toLowerCase();
    if (!ALLOWED.has(part)) {
      throw invalid(
        `Expected each part of \`summary\` to be one of ${SUMMARY_OPTIONS.join(', ')} (comma-separated, no spaces), got ${describeValue(raw)} in ${describeValue(summary)}`,
      );
    }
    if (!out.includes(part as SummaryOption)) out.push(part as SummaryOption);
  }
  return out;
}

/**
 * Merges a new definition into the earlier one of the same name (docs/run-semantics.md
 * §2): `stepSync` and `hidden` are OR-ed, `stepMetric` and `goal` replaced
 * only when given, summary flags OR-ed while `none` takes the new value.
 * With `overwrite` (or no earlier definition) the new one is taken as is.
 * The result always has `overwrite: false`.
 */
export function mergeMetricDefinition(
  prev: MetricDefinitionMessage | undefined,
  next: MetricDefinitionMessage,
): MetricDefinitionMessage {
  if (prev === undefined || next.overwrite) return { ...next, overwrite: false };
  const flags: SummaryOption[] = parseSummary(prev.summary).filter((f) => f !== 'none');
  for (const f of parseSummary(next.summary)) if (!flags.includes(f)) flags.push(f);
  return {
    name: next.name,
    stepMetric: next.stepMetric !== '' ? next.stepMetric : prev.stepMetric,
    stepSync: prev.stepSync || next.stepSync,
    hidden: prev.hidden || next.hidden,
    summary: flags.join(','),
    goal: next.goal !== '' ? next.goal : prev.goal,
    overwrite: false,
  };
}

/** The user-facing view of a (merged) definition. */
export function toMetric(def: MetricDefinitionMessage): Metric {
  return Object.freeze({
    name: def.name,
    stepMetric: def.stepMetric === '' ? undefined : def.stepMetric,
    stepSync: def.stepSync,
    hidden: def.hidden,
    summary: Object.freeze(parseSummary(def.summary)),
    goal: def.goal === 'minimize' || def.goal === 'maximize' ? def.goal : undefined,
  });
}

/** True when a definition's name is a glob (ends with `*`). */
export function isGlobName(name: string): boolean {
  return name.endsWith('*');
}
