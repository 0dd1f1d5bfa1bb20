import { z } from 'zod';
import { CohortError } from '../errors.js';
import { isPlainObject } from '../leaf-path.js';
import { formatIssue } from '../schemas/format-issue.js';

/**
 * Any number, NaN and ±Infinity included (`z.number()` refuses those): on
 * the wire they are `{"$cohort":"NaN"}` etc., and `parseJson` turns them back
 * into numbers before a schema sees them. Its JSON Schema is its `meta`.
 */
export const num = z
  .custom<number>((v) => typeof v === 'number', { message: 'expected a number' })
  .meta({ type: 'number', description: 'a number; NaN and ±Infinity are sent as {"$cohort":"NaN"} etc.' });

/**
 * A JSON object whose values are not checked (a history row): one check per
 * object, where `z.record` would copy every key of every row (2× the
 * `JSON.parse` time of 100k rows).
 */
export const looseObject = (description: string): z.ZodType<Record<string, unknown>> =>
  z.custom<Record<string, unknown>>(isPlainObject, { message: 'expected an object' }).meta({ type: 'object', description });

/** A time: seconds since the Unix epoch. */
export const seconds = z.number().describe('seconds since the Unix epoch');

/** A count or an id: a safe integer. */
export const int = (): z.ZodNumber => z.number().int();

/** The body of a byte route (a file, a blob, an event stream): not JSON, never parsed. */
export const bytesSchema = z.string().describe('the bytes');

/** The JSON Schema of an HTTP schema (docs/openapi.json): a custom check ({@link num}, {@link looseObject}) is what its `meta` says. */
export function httpJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { unrepresentable: 'any' }) as Record<string, unknown>;
}

/**
 * Checks a body against its route's schema: the parsed value, or INTERNAL
 * naming the request and the first field that does not match
 * (`GET /api/v1/runs/a/b/c: the response does not match the API: state: ...`).
 */
export function parseHttpBody<S extends z.ZodType>(schema: S, body: unknown, request: string): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw new CohortError('INTERNAL', `${request}: the response does not match the API (docs/openapi.json): ${formatIssue('', result.error.issues)}`);
}
