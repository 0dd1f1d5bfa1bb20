import { z } from 'zod';
import { decodeRecord } from '../codec.js';
import { CohortError } from '../errors.js';
import type { RecordKind, RecordMessage } from '../records.js';
import { RECORD_KINDS } from '../rules/exhaustive.js';
import { alertLevelIssue, exitCodeIssue, metricDefinitionIssue, systemValuesIssue } from '../rules/record-rules.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { checkJsonText, checkLeafPath } from './json-checks.js';
import { checkRows } from './rows-checks.js';
import { formatIssue } from './format-issue.js';

/** Longest console line a record may carry (the SDK cuts longer ones). */
export const MAX_CONSOLE_LINE_CHARS = 16_384;
/** Most console lines per record. */
export const MAX_CONSOLE_LINES_PER_RECORD = 1000;

/** The longest error (stack) an exit record carries; the SDK cuts longer ones. */
export const MAX_EXIT_ERROR_CHARS = 16_384;

// Columns can hold millions of entries: checked element by element in one
// pass by `checkRows`, not copied by zod.
const numberArray = z.custom<number[]>(Array.isArray, { message: 'must be an array of numbers' });
const stringArray = z.custom<string[]>(Array.isArray, { message: 'must be an array of strings' });

const bounded = (max: number) => z.string().max(max, { message: `must be at most ${max} characters long` });

function leafPathList(limits: Limits) {
  return z
    .array(z.string())
    .max(limits.maxRemovedPaths, { message: `must list at most ${limits.maxRemovedPaths} paths` })
    .superRefine((paths, ctx) => {
      for (let i = 0; i < paths.length; i++) {
        const bad = checkLeafPath(paths[i]!, limits);
        if (bad) {
          ctx.addIssue({ code: 'custom', path: [i], message: bad });
          return;
        }
      }
    });
}

function jsonText(options: Parameters<typeof checkJsonText>[1], check?: (value: Record<string, unknown>) => string | undefined) {
  return z.string().superRefine((text, ctx) => {
    const checked = checkJsonText(text, options);
    if (!checked.ok) {
      ctx.addIssue({ code: 'custom', message: checked.message });
      return;
    }
    const bad = check?.(checked.value as Record<string, unknown>);
    if (bad) ctx.addIssue({ code: 'custom', message: bad });
  });
}

/**
 * Builds the schema of a decoded record (`decodeRecord`'s output) under the
 * given limits: the structure of records.proto and the consistency rules each
 * kind must keep. Prefer {@link parseRecord} at a boundary; use this to check
 * a record built in memory.
 *
 * @example
 * const schema = createRecordSchema(resolveLimits({ maxRowsPerRecord: 1000 }));
 * schema.safeParse(record).success;
 */
export function createRecordSchema(limits: Readonly<Limits>) {
  const seq = z.number().refine((s) => Number.isSafeInteger(s) && s >= 1, { message: 'seq must be an integer from 1 and up' });

  const rows = z
    .object({
      keys: stringArray,
      steps: numberArray,
      timestamps: numberArray,
      runtimes: numberArray,
      numCounts: numberArray,
      numKeys: numberArray,
      numValues: numberArray,
      jsonCounts: numberArray,
      jsonKeys: numberArray,
      jsonValues: stringArray,
      label: z.string(),
    })
    .superRefine((value, ctx) => {
      const issue = checkRows(value, limits);
      if (issue) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    });

  const config = z.object({
    valuesJson: jsonText({ maxLength: limits.maxConfigJsonLength, lengthLimit: 'maxConfigJsonLength', maxDepth: limits.maxDepth, object: true }),
    allowValChange: z.boolean(),
    removed: leafPathList(limits),
  });

  const summary = z.object({
    setJson: jsonText({ maxLength: limits.maxConfigJsonLength, lengthLimit: 'maxConfigJsonLength', maxDepth: limits.maxDepth, object: true }, (set) => {
      for (const path of Object.keys(set)) {
        const bad = checkLeafPath(path, limits);
        if (bad) return bad;
      }
      return undefined;
    }),
    removed: leafPathList(limits),
  });

  const metric = z.object({
    name: z
      .string()
      .min(1, { message: 'metric name must not be empty' })
      .max(limits.maxKeyLength, { message: `must be at most ${limits.maxKeyLength} characters long` }),
    stepMetric: bounded(limits.maxKeyLength),
    stepSync: z.boolean(),
    hidden: z.boolean(),
    summary: bounded(limits.maxNameLength),
    goal: bounded(limits.maxNameLength),
    overwrite: z.boolean(),
  }).superRefine((def, ctx) => {
    const bad = metricDefinitionIssue(def);
    if (bad) issue(ctx, bad.message, [bad.field]);
  });

  const runUpdate = z.object({
    name: bounded(limits.maxNameLength).exactOptional(),
    notes: bounded(limits.maxValueLength).exactOptional(),
    tags: z
      .object({
        tags: z
          .array(
            z
              .string()
              .min(1, { message: 'tag must not be empty' })
              .max(limits.maxTagLength, { message: `tag must be at most ${limits.maxTagLength} characters long` }),
          )
          .max(limits.maxTags, { message: `must hold at most ${limits.maxTags} tags` }),
      })
      .exactOptional(),
  });

  const exit = z.object({
    exitCode: z.number().superRefine((code, ctx) => issue(ctx, exitCodeIssue(code))),
    updateFinishState: z.boolean(),
    signal: bounded(32).optional(),
    error: bounded(MAX_EXIT_ERROR_CHARS).optional(),
    crashed: z.boolean().optional(),
  });

  const alert = z.object({
    title: z
      .string()
      .min(1, { message: 'alert title must not be empty' })
      .max(limits.maxAlertTitleLength, { message: `alert title must be at most ${limits.maxAlertTitleLength} characters long` }),
    text: z.string().refine((text) => text.length <= limits.maxAlertTextBytes && Buffer.byteLength(text) <= limits.maxAlertTextBytes, {
      message: `alert text must be at most ${limits.maxAlertTextBytes} bytes (UTF-8)`,
    }),
    // The engine's rule: an empty level (proto3's absent one) is refused here as it would be there.
    level: z.string().superRefine((level, ctx) => issue(ctx, alertLevelIssue(level))),
    waitDurationMs: z.number().refine((v) => Number.isFinite(v) && v >= 0, { message: 'must be a finite number from 0 and up' }),
    timestamp: z.number().refine((v) => Number.isFinite(v) && v >= 0, { message: 'must be a finite number from 0 and up' }),
  });

  const system = z
    .object({
      timestamp: z.number().refine((v) => Number.isFinite(v) && v >= 0, { message: 'must be a finite number from 0 and up' }),
      keys: z
        .array(z.string().regex(/^system\//, { message: 'system metric names must start with "system/"' }).max(256, { message: 'system metric names must be at most 256 characters long' }))
        .max(1024, { message: 'must hold at most 1024 system metrics' }),
      values: z.array(z.number()).max(1024, { message: 'must hold at most 1024 values' }),
      label: z.string().max(256, { message: 'must be at most 256 characters long' }),
    })
    .superRefine((v, ctx) => issue(ctx, systemValuesIssue(v.keys, v.values), ['values']));

  const console = z.object({
    timestamp: z.number().refine((v) => Number.isFinite(v) && v >= 0, { message: 'must be a finite number from 0 and up' }),
    stream: z.enum(['stdout', 'stderr']),
    lines: z
      .array(z.string().max(MAX_CONSOLE_LINE_CHARS, { message: `console lines must be at most ${MAX_CONSOLE_LINE_CHARS} characters long` }))
      .max(MAX_CONSOLE_LINES_PER_RECORD, { message: `must hold at most ${MAX_CONSOLE_LINES_PER_RECORD} lines` }),
    label: z.string().max(256, { message: 'must be at most 256 characters long' }),
  });

  // One body schema per record kind, and the union made from them: a kind added to records.ts fails to compile here until it is checked.
  const bodies: { [K in RecordKind]: z.ZodType } = { rows, config, summary, metric, runUpdate, exit, preempting: z.object({}), alert, system, console };
  const [first, ...rest] = RECORD_KINDS.map((kind) => z.object({ seq, kind: z.literal(kind), [kind]: bodies[kind] }));
  return z.discriminatedUnion('kind', [first!, ...rest]);
}

/** Adds a rule's issue (a record-rules.ts answer) to the zod context, when there is one. */
function issue(ctx: z.core.$RefinementCtx, message: string | undefined, path?: PropertyKey[]): void {
  if (message !== undefined) ctx.addIssue({ code: 'custom', message, ...(path && { path }) });
}

/** The schema of a decoded record under {@link DEFAULT_LIMITS}. */
export const recordSchema = createRecordSchema(DEFAULT_LIMITS);

const schemas = new WeakMap<Readonly<Limits>, ReturnType<typeof createRecordSchema>>([[DEFAULT_LIMITS, recordSchema]]);

function schemaFor(limits: Readonly<Limits>): ReturnType<typeof createRecordSchema> {
  let schema = schemas.get(limits);
  if (!schema) {
    schema = createRecordSchema(limits);
    schemas.set(limits, schema);
  }
  return schema;
}

/**
 * Checks a record already decoded (or built in memory) against the schema.
 * `where` names it in errors (`records[3]`). Throws `CohortError`
 * INVALID_ARGUMENT naming the field and the rule.
 */
export function checkRecord(record: RecordMessage, where: string, limits: Readonly<Limits> = DEFAULT_LIMITS): RecordMessage {
  const parsed = schemaFor(limits).safeParse(record);
  if (!parsed.success) throw new CohortError('INVALID_ARGUMENT', formatIssue(where, parsed.error.issues));
  // The schema checks the same shape as RecordMessage; zod strips nothing the codec sets.
  return parsed.data as RecordMessage;
}

/**
 * Decodes the bytes of one record and checks it: the boundary parse of the
 * coordinator. `index` is the record's place in its batch, for the error
 * message. Throws `CohortError` INVALID_ARGUMENT naming the record, the field
 * and the rule, e.g. `records[3].rows.numKeys[17]: key id 40 is out of range (20 keys)`.
 *
 * @example
 * const record = parseRecord(frame.batch.records[0], 0);
 */
export function parseRecord(bytes: Uint8Array, index: number, limits: Readonly<Limits> = DEFAULT_LIMITS): RecordMessage {
  const where = `records[${index}]`;
  let decoded: RecordMessage;
  try {
    decoded = decodeRecord(bytes);
  } catch (err) {
    const message = err instanceof Error ? err.message.replace(/^record:\s*/, '') : String(err);
    throw new CohortError('INVALID_ARGUMENT', `${where}: ${message}`, { cause: err });
  }
  return checkRecord(decoded, where, limits);
}
