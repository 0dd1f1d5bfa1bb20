import { z } from 'zod';
import { CohortError } from '../errors.js';
import { formatIssue } from '../schemas/format-issue.js';

/**
 * Any number, NaN and ±Infinity included (`z.number()` refuses those): on
 * the wire they are `{"$cohort":"NaN"}` etc., and `parseJson` turns them back
 * into numbers before a schema sees them. {@link httpJsonSchema} writes it as
 * `{ "type": "number" }`.
 */
export const num = z.custom<number>((v) => typeof v === 'number', { message: 'expected a number' }).describe('a number; NaN and ±Infinity are sent as {"$cohort":"NaN"} etc.');

/** A time: seconds since the Unix epoch. */
export const seconds = z.number().describe('seconds since the Unix epoch');

/** A count or an id: a safe integer. */
export const int = (): z.ZodNumber => z.number().int();

/** The body of a byte route (a file, a blob, an event stream): not JSON, never parsed. */
export const bytesSchema = z.string().describe('the bytes');

/** The JSON Schema of an HTTP schema (docs/openapi.json): {@link num} is a number. */
export function httpJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, {
    unrepresentable: 'any',
    override: (ctx) => {
      if (ctx.zodSchema === num) ctx.jsonSchema.type = 'number';
    },
  }) as Record<string, unknown>;
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
