import { CohortError, describeValue } from '../errors.js';

/**
 * Names and ids (docs/run-semantics.md §11) and the `"<run>?_step=<n>"` moments of
 * `forkFrom` and `resumeFrom` (§5). Each check returns the value it accepted
 * or throws: `TypeError` for a wrong type, `CohortError` INVALID_ARGUMENT for a
 * value that breaks a rule, naming the field.
 */

/** The longest run id, project, entity, group, job type or artifact name. */
export const MAX_NAME_LENGTH = 128;

/** The longest tag. */
export const MAX_TAG_LENGTH = 64;

/** The length of a generated run id. */
export const RUN_ID_LENGTH = 8;

const RUN_ID_FORBIDDEN = [':', ';', ',', '#', '?', '/', "'"];
const PROJECT_FORBIDDEN = ['/', '\\', '#', '?', '%', ':'];
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function invalid(message: string): CohortError {
  return new CohortError('INVALID_ARGUMENT', message);
}

function requireString(value: unknown, field: string, rule: string): string {
  if (typeof value !== 'string') throw new TypeError(`Expected \`${field}\` to be ${rule}, got ${describeValue(value)}`);
  return value;
}

function forbidden(value: string, chars: readonly string[]): string | undefined {
  for (const c of chars) if (value.includes(c)) return c;
  return undefined;
}

/**
 * Checks a run id: a non-empty string of at most 128 characters, without
 * leading or trailing whitespace and without any of `: ; , # ? / '`.
 */
export function validateRunId(id: unknown, field = 'id'): string {
  const rule = `a run id: 1 to ${MAX_NAME_LENGTH} characters, no leading or trailing whitespace, none of : ; , # ? / '`;
  const value = requireString(id, field, rule);
  if (value === '' || value.length > MAX_NAME_LENGTH || value.trim() !== value) {
    throw invalid(`Expected \`${field}\` to be ${rule}, got ${describeValue(value)}`);
  }
  const bad = forbidden(value, RUN_ID_FORBIDDEN);
  if (bad !== undefined) throw invalid(`Expected \`${field}\` to be ${rule}, got ${describeValue(value)} (contains ${JSON.stringify(bad)})`);
  return value;
}

/** Checks a project name: 1–128 characters, none of `/ \ # ? % :`. */
export function validateProject(project: unknown, field = 'project'): string {
  const rule = `1 to ${MAX_NAME_LENGTH} characters, none of / \\ # ? % :`;
  const value = requireString(project, field, `a string of ${rule}`);
  if (value === '' || value.length > MAX_NAME_LENGTH) {
    throw invalid(`Expected \`${field}\` to be ${rule}, got ${describeValue(value)}`);
  }
  const bad = forbidden(value, PROJECT_FORBIDDEN);
  if (bad !== undefined) throw invalid(`Expected \`${field}\` to be ${rule}, got ${describeValue(value)} (contains ${JSON.stringify(bad)})`);
  return value;
}

/** Checks an entity name (the same rule as a project). */
export function validateEntity(entity: unknown, field = 'entity'): string {
  return validateProject(entity, field);
}

/** Checks tags: an array of strings of 1–64 characters each. Returns a copy. */
export function validateTags(tags: unknown, field = 'tags'): string[] {
  if (!Array.isArray(tags)) throw new TypeError(`Expected \`${field}\` to be an array of strings, got ${describeValue(tags)}`);
  const out: string[] = [];
  for (let i = 0; i < tags.length; i++) {
    const tag: unknown = tags[i];
    const rule = `a string of 1 to ${MAX_TAG_LENGTH} characters`;
    const value = requireString(tag, `${field}[${i}]`, rule);
    if (value === '' || value.length > MAX_TAG_LENGTH) throw invalid(`Expected \`${field}[${i}]\` to be ${rule}, got ${describeValue(value)}`);
    out.push(value);
  }
  return out;
}

/** Checks an artifact name: 1–128 characters, no `/`. */
export function validateArtifactName(name: unknown, field = 'name'): string {
  const rule = `an artifact name: 1 to ${MAX_NAME_LENGTH} characters, no "/"`;
  const value = requireString(name, field, rule);
  if (value === '' || value.length > MAX_NAME_LENGTH || value.includes('/')) {
    throw invalid(`Expected \`${field}\` to be ${rule}, got ${describeValue(value)}`);
  }
  return value;
}

function validateLabel(value: unknown, field: string): string {
  const rule = `a string of at most ${MAX_NAME_LENGTH} characters`;
  const text = requireString(value, field, rule);
  if (text.length > MAX_NAME_LENGTH) throw invalid(`Expected \`${field}\` to be ${rule}, got ${describeValue(text)}`);
  return text;
}

/** Checks a group name: a string of at most 128 characters. */
export function validateGroup(group: unknown, field = 'group'): string {
  return validateLabel(group, field);
}

/** Checks a job type: a string of at most 128 characters. */
export function validateJobType(jobType: unknown, field = 'jobType'): string {
  return validateLabel(jobType, field);
}

/**
 * A new run id: 8 characters of `[a-z0-9]`, from the platform's
 * cryptographic random source (unbiased).
 */
export function generateRunId(): string {
  let id = '';
  const bytes = new Uint8Array(16);
  while (id.length < RUN_ID_LENGTH) {
    globalThis.crypto.getRandomValues(bytes);
    for (let i = 0; i < bytes.length && id.length < RUN_ID_LENGTH; i++) {
      const b = bytes[i]!;
      // 252 = 7 * 36: dropping the rest keeps every character equally likely.
      if (b < 252) id += ID_ALPHABET[b % 36]!;
    }
  }
  return id;
}

/** A point in a run's history: `"<run>?_step=<n>"`. */
export interface RunMoment {
  runId: string;
  step: number;
}

const MOMENT = /^(.*)\?_step=(\d+)$/;

/**
 * Parses the moment of `forkFrom` or `resumeFrom`: `"<run>?_step=<n>"` with a
 * valid run id and `n` a non-negative integer.
 *
 * @example
 * parseMoment('abc123?_step=200', 'forkFrom'); // { runId: 'abc123', step: 200 }
 */
export function parseMoment(text: unknown, field: 'forkFrom' | 'resumeFrom'): RunMoment {
  const rule = '"<run>?_step=<n>" with n a non-negative integer';
  const value = requireString(text, field, rule);
  const match = MOMENT.exec(value);
  const step = match === null ? NaN : Number(match[2]);
  if (match === null || !Number.isSafeInteger(step)) {
    throw invalid(`Expected \`${field}\` to be ${rule}, got ${describeValue(value)}`);
  }
  return { runId: validateRunId(match[1], `${field} run id`), step };
}

/** Formats a moment as `"<run>?_step=<n>"`. */
export function formatMoment(moment: RunMoment): string {
  return `${moment.runId}?_step=${moment.step}`;
}

export { generateRunName } from './run-names.js';
