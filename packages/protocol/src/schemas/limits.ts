import { z } from 'zod';
import { MAX_ALERT_TEXT_BYTES, MAX_ALERT_TITLE_LENGTH } from '../rules/alert-rules.js';
import { MAX_TAG_LENGTH } from '../rules/names.js';

/**
 * The bounds that every record, batch and request must respect. The
 * coordinator enforces them at its boundary; the SDK may read them to size its
 * batches. Every bound is inclusive: a value equal to it passes.
 */
export interface Limits {
  /**
   * Largest gRPC message, in bytes (a whole `ClientFrame`, so a whole batch).
   * @defaultValue 16 MiB
   */
  maxMessageBytes: number;
  /**
   * Most records in one `RecordBatch`.
   * @defaultValue 10_000
   */
  maxRecordsPerBatch: number;
  /**
   * Most rows in one `Rows` record.
   * @defaultValue 100_000
   */
  maxRowsPerRecord: number;
  /**
   * Most keys in the key dictionary of one `Rows` record.
   * @defaultValue 10_000
   */
  maxKeysPerRecord: number;
  /**
   * Longest key (leaf path), in UTF-16 code units.
   * @defaultValue 512
   */
  maxKeyLength: number;
  /**
   * Longest string or JSON text of one value (a history cell, an alert text,
   * a summary set), in UTF-16 code units.
   * @defaultValue 1 MiB
   */
  maxValueLength: number;
  /**
   * Most path segments of one key (`a.b.c` has 3), and most nested levels of
   * a JSON value.
   * @defaultValue 16
   */
  maxDepth: number;
  /**
   * Most tags on one run.
   * @defaultValue 100
   */
  maxTags: number;
  /**
   * Longest tag (docs/run-semantics.md §11: 1 to 64 characters; `MAX_TAG_LENGTH` of the rules).
   * @defaultValue 64
   */
  maxTagLength: number;
  /**
   * Longest config JSON text (an `OpenRunRequest.configJson` or a
   * `ConfigUpdate.valuesJson`), in UTF-16 code units.
   * @defaultValue 1 MiB
   */
  maxConfigJsonLength: number;
  /**
   * Longest short text field: a run name, group, job type, label, node, host,
   * a metric name.
   * @defaultValue 512
   */
  maxNameLength: number;
  /**
   * Most paths in one `removed` list (config or summary).
   * @defaultValue 10_000
   */
  maxRemovedPaths: number;
  /**
   * Longest alert title (docs/run-semantics.md §8; `MAX_ALERT_TITLE_LENGTH` of the rules).
   * @defaultValue 64
   */
  maxAlertTitleLength: number;
  /**
   * Longest alert text, in UTF-8 bytes (`MAX_ALERT_TEXT_BYTES` of the rules).
   * @defaultValue 64 KiB
   */
  maxAlertTextBytes: number;
  /**
   * Largest single file or blob upload (a saved file, an artifact entry, a
   * media payload), in bytes. The coordinator stops reading an upload that
   * goes past it; the SDK checks it before it starts one.
   * @defaultValue 5 GiB
   */
  maxFileBytes: number;
  /**
   * Most runs one project (entity/project) may hold. Checked when a request
   * would create a run (a new id or a fork); resuming an existing run is not
   * affected.
   * @defaultValue 100_000
   */
  maxRunsPerProject: number;
  /**
   * Most distinct keys (leaf paths logged or set in the summary) one run may
   * hold. A record that would add more is refused; the run's other records
   * still apply.
   * @defaultValue 20_000
   */
  maxKeysPerRun: number;
  /**
   * Largest summary of one run, as JSON text in UTF-16 code units (the keys
   * and their shown values). A record that could grow it past this is refused.
   * @defaultValue 8 MiB
   */
  maxSummaryBytes: number;
}

const MiB = 1024 * 1024;

/** The limits a coordinator applies unless told otherwise. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxMessageBytes: 16 * MiB,
  maxRecordsPerBatch: 10_000,
  maxRowsPerRecord: 100_000,
  maxKeysPerRecord: 10_000,
  maxKeyLength: 512,
  maxValueLength: MiB,
  maxDepth: 16,
  maxTags: 100,
  maxTagLength: MAX_TAG_LENGTH,
  maxConfigJsonLength: MiB,
  maxNameLength: 512,
  maxRemovedPaths: 10_000,
  maxAlertTitleLength: MAX_ALERT_TITLE_LENGTH,
  maxAlertTextBytes: MAX_ALERT_TEXT_BYTES,
  maxFileBytes: 5 * 1024 * MiB,
  maxRunsPerProject: 100_000,
  maxKeysPerRun: 20_000,
  maxSummaryBytes: 8 * MiB,
});

/** The names of the limits, in the order of {@link Limits}. */
export const LIMIT_NAMES: readonly (keyof Limits)[] = Object.freeze(Object.keys(DEFAULT_LIMITS) as (keyof Limits)[]);

const positiveInt = z.number().int().positive();

/** Schema of a partial override of {@link Limits}: each a positive integer. */
export const limitsOverrideSchema = z
  .object({
    maxMessageBytes: positiveInt,
    maxRecordsPerBatch: positiveInt,
    maxRowsPerRecord: positiveInt,
    maxKeysPerRecord: positiveInt,
    maxKeyLength: positiveInt,
    maxValueLength: positiveInt,
    maxDepth: positiveInt,
    maxTags: positiveInt,
    // The engine checks tags by the rule (validateTags): a longer limit would let the input check pass what the engine refuses.
    maxTagLength: positiveInt.max(MAX_TAG_LENGTH, { message: `at most ${MAX_TAG_LENGTH}, the Run API's tag rule` }),
    maxConfigJsonLength: positiveInt,
    maxNameLength: positiveInt,
    maxRemovedPaths: positiveInt,
    maxAlertTitleLength: positiveInt,
    maxAlertTextBytes: positiveInt,
    maxFileBytes: positiveInt,
    maxRunsPerProject: positiveInt,
    maxKeysPerRun: positiveInt,
    maxSummaryBytes: positiveInt,
  })
  .partial()
  .strict();

/**
 * Merges an override into {@link DEFAULT_LIMITS}. Throws a `TypeError`
 * naming the limit when an override is not a positive integer or unknown.
 *
 * @example
 * resolveLimits({ maxRecordsPerBatch: 100 }).maxRecordsPerBatch; // 100
 */
export function resolveLimits(override: Partial<Limits> = {}): Readonly<Limits> {
  const parsed = limitsOverrideSchema.safeParse(override);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue?.code === 'unrecognized_keys') {
      throw new TypeError(`Expected a limit named one of ${LIMIT_NAMES.join(', ')}, got \`${issue.keys.join('`, `')}\``);
    }
    const name = issue?.path.join('.') || 'limits';
    throw new TypeError(`Expected \`${name}\` to be a positive integer${name === 'maxTagLength' ? ` of at most ${MAX_TAG_LENGTH}` : ''} (${issue?.message ?? 'invalid'})`);
  }
  const out: Limits = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(parsed.data) as [keyof Limits, number | undefined][]) {
    if (value !== undefined) out[key] = value;
  }
  return Object.freeze(out);
}

/**
 * Reads `name=value` overrides (the repeatable `--limit` flag of `cohort
 * server`) into a partial {@link Limits}, then checks them with
 * {@link resolveLimits}. Values take `_` separators and a `KiB`/`MiB`/`GiB`
 * suffix. Throws a `TypeError` naming the entry and the rule.
 *
 * @example
 * parseLimitOverrides(['maxRunsPerProject=500', 'maxFileBytes=1GiB']);
 * // { maxRunsPerProject: 500, maxFileBytes: 1073741824 }
 */
export function parseLimitOverrides(entries: readonly string[]): Partial<Limits> {
  const out: Partial<Limits> = {};
  for (const entry of entries) {
    const match = /^([A-Za-z]+)=([0-9][0-9_]*)(KiB|MiB|GiB)?$/.exec(entry.trim());
    if (!match) throw new TypeError(`Expected \`--limit\` as name=positive integer (e.g. maxRunsPerProject=500), got \`${entry}\``);
    const name = match[1]! as keyof Limits;
    if (!LIMIT_NAMES.includes(name)) throw new TypeError(`Expected \`--limit\` to name one of ${LIMIT_NAMES.join(', ')}, got \`${name}\``);
    const unit = match[3] === undefined ? 1 : 1024 ** (['KiB', 'MiB', 'GiB'].indexOf(match[3]) + 1);
    out[name] = Number(match[2]!.replaceAll('_', '')) * unit;
  }
  resolveLimits(out);
  return out;
}
