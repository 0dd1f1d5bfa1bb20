import { z } from 'zod';
import { CohortError } from '../errors.js';
import type { OpenRunRequestMessage } from '../records.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { checkJsonText } from './json-checks.js';
import { formatIssue } from './format-issue.js';

/** The longest group claim key or token (`OpenRunRequest.groupKey`, `groupToken`). */
export const MAX_CLAIM_LENGTH = 512;

/** The resume modes of docs/run-semantics.md §5; `""` means none asked. */
export const RESUME_MODES = ['', 'allow', 'must', 'never', 'auto'] as const;

/**
 * Builds the schema of an `OpenRunRequest` (as grpc or the WAL header decode
 * it): the structure, the bounds of {@link Limits} and the cross-field rules
 * (`resume`, `resumeFrom`, `forkFrom` exclusive; a rank below the world
 * size). Name rules (run id, project, tags) belong to the engine, which is the
 * stored truth for every path that opens a run.
 */
export function createOpenRunRequestSchema(limits: Readonly<Limits>) {
  const text = (max: number) => z.string().max(max, { message: `must be at most ${max} characters long` });
  const name = text(limits.maxNameLength);
  const finiteNonNegative = z.number().refine((v) => Number.isFinite(v) && v >= 0, { message: 'must be a finite number from 0 and up' });
  const rankLike = z.number().int({ message: 'must be an integer' }).min(-1, { message: 'must be -1 (none) or from 0 and up' });

  return z
    .object({
      entity: name,
      project: name,
      runId: name,
      name,
      group: name,
      jobType: name,
      tags: z
        .array(
          z
            .string()
            .min(1, { message: 'tag must not be empty' })
            .max(limits.maxTagLength, { message: `tag must be at most ${limits.maxTagLength} characters long` }),
        )
        .max(limits.maxTags, { message: `must hold at most ${limits.maxTags} tags` }),
      notes: text(limits.maxValueLength),
      configJson: z.string().superRefine((value, ctx) => {
        const checked = checkJsonText(value, { maxLength: limits.maxConfigJsonLength, lengthLimit: 'maxConfigJsonLength', maxDepth: limits.maxDepth, object: true });
        if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.message });
      }),
      resume: z.enum(RESUME_MODES, { message: `must be one of "allow", "must", "never", "auto" or empty` }),
      resumeFrom: name,
      forkFrom: name,
      rank: rankLike,
      worldSize: rankLike,
      localRank: rankLike,
      node: name,
      startTime: finiteNonNegative,
      mode: name,
      label: name,
      primary: z.boolean(),
      sweepId: name,
      host: name,
      offline: z.boolean(),
      restartAttempt: z.number().int().min(0, { message: 'must be an integer from 0 and up' }),
      groupKey: text(MAX_CLAIM_LENGTH),
      groupToken: text(MAX_CLAIM_LENGTH),
      groupSlot: name,
    })
    .superRefine((req, ctx) => {
      const given = (['resume', 'resumeFrom', 'forkFrom'] as const).filter((k) => req[k] !== '');
      if (given.length > 1) {
        ctx.addIssue({ code: 'custom', path: [given[1]!], message: `${given.join(' and ')} cannot be used together` });
      }
      if (req.groupKey !== '') {
        if (req.rank < 0) ctx.addIssue({ code: 'custom', path: ['rank'], message: 'a group claim (groupKey) needs the rank' });
        if (req.groupToken === '') ctx.addIssue({ code: 'custom', path: ['groupToken'], message: 'must not be empty with a groupKey' });
        if (req.group === '') ctx.addIssue({ code: 'custom', path: ['group'], message: 'the base group name must not be empty with a groupKey' });
        if (req.mode === 'shared' || req.resumeFrom !== '' || req.forkFrom !== '') {
          ctx.addIssue({ code: 'custom', path: ['groupKey'], message: 'a group claim cannot be used with shared mode, resumeFrom or forkFrom' });
        }
      }
      if (req.rank >= 0 && req.worldSize > 0 && req.rank >= req.worldSize) {
        ctx.addIssue({ code: 'custom', path: ['rank'], message: `rank ${req.rank} must be below worldSize ${req.worldSize}` });
      }
    });
}

/** The schema of an `OpenRunRequest` under {@link DEFAULT_LIMITS}. */
export const openRunRequestSchema = createOpenRunRequestSchema(DEFAULT_LIMITS);

const schemas = new WeakMap<Readonly<Limits>, ReturnType<typeof createOpenRunRequestSchema>>([[DEFAULT_LIMITS, openRunRequestSchema]]);

/**
 * Checks an `OpenRunRequest`. Throws `CohortError` INVALID_ARGUMENT naming
 * the field and the rule (`OpenRunRequest.tags[2]: tag must not be empty`).
 *
 * @example
 * const req = parseOpenRunRequest(call.request);
 */
export function parseOpenRunRequest(request: unknown, limits: Readonly<Limits> = DEFAULT_LIMITS): OpenRunRequestMessage {
  let schema = schemas.get(limits);
  if (!schema) {
    schema = createOpenRunRequestSchema(limits);
    schemas.set(limits, schema);
  }
  const parsed = schema.safeParse(request);
  if (!parsed.success) throw new CohortError('INVALID_ARGUMENT', formatIssue('OpenRunRequest', parsed.error.issues));
  return parsed.data;
}
