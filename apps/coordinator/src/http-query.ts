import { z } from 'zod';
import { CohortError, isPlainObject, parseJson } from '@cohort/protocol';

/**
 * Query-string parsing for the HTTP API: every parameter is checked with zod,
 * an unknown or repeated one is refused, and the error names the parameter.
 */

/** An integer parameter from `min` to `max`. */
export function intParam(min: number, max: number) {
  return z.string().transform((text, ctx) => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isSafeInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `expected an integer from ${min} to ${max}, got ${JSON.stringify(text)}` });
      return z.NEVER;
    }
    return n;
  });
}

/** A plain name parameter (an entity, a project) of at most `max` characters. */
export function nameParam(max: number) {
  return z.string().max(max, { message: `expected at most ${max} characters` });
}

/** A comma-separated list parameter of at most `max` non-empty items. */
export function listParam(max: number, maxItemLength: number) {
  return z.string().transform((text, ctx) => {
    const items = text.split(',');
    if (items.length > max) {
      ctx.addIssue({ code: 'custom', message: `expected at most ${max} comma-separated items, got ${items.length}` });
      return z.NEVER;
    }
    for (const item of items) {
      if (item === '' || item.length > maxItemLength) {
        ctx.addIssue({ code: 'custom', message: `expected comma-separated names of 1 to ${maxItemLength} characters, got ${JSON.stringify(item)}` });
        return z.NEVER;
      }
    }
    return items;
  });
}

/** A parameter holding a JSON object (URL-encoded), checked by `schema`. */
export function jsonObjectParam<T extends z.ZodType>(schema: T) {
  return z.string().transform((text, ctx): z.output<T> => {
    let value: unknown;
    try {
      value = parseJson(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `expected a JSON object, got text that does not parse (${(err as Error).message})` });
      return z.NEVER;
    }
    if (!isPlainObject(value)) {
      ctx.addIssue({ code: 'custom', message: 'expected a JSON object' });
      return z.NEVER;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const at = issue && issue.path.length > 0 ? `.${issue.path.map(String).join('.')}` : '';
      ctx.addIssue({ code: 'custom', message: `${at ? `at ${at.slice(1)}: ` : ''}${issue?.message ?? 'invalid'}` });
      return z.NEVER;
    }
    return parsed.data;
  });
}

/**
 * Parses a query string against a shape of optional parameters. An empty
 * value (`minStep=`) counts as absent. Throws `CohortError` INVALID_ARGUMENT
 * naming the parameter.
 */
export function parseQuery<Shape extends Record<string, z.ZodType<unknown, string>>>(
  params: URLSearchParams,
  shape: Shape,
): { [K in keyof Shape]?: z.output<Shape[K]> } {
  const raw: Record<string, string> = {};
  for (const [name, value] of params) {
    if (!Object.hasOwn(shape, name)) {
      const known = Object.keys(shape);
      throw new CohortError(
        'INVALID_ARGUMENT',
        `query parameter \`${name}\` is not known here; expected ${known.length === 0 ? 'none' : known.map((k) => `\`${k}\``).join(', ')}`,
      );
    }
    if (Object.hasOwn(raw, name)) throw new CohortError('INVALID_ARGUMENT', `query parameter \`${name}\` is given more than once`);
    if (value !== '') raw[name] = value;
  }
  const out: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(raw)) {
    const parsed = shape[name]!.safeParse(text);
    if (!parsed.success) {
      throw new CohortError('INVALID_ARGUMENT', `query parameter \`${name}\`: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    }
    out[name] = parsed.data;
  }
  return out as { [K in keyof Shape]?: z.output<Shape[K]> };
}

/** The run filters of `GET /api/v1/runs/:entity/:project?filters=` (the engine's `RunFilters`). */
export const runFiltersSchema = z
  .object({
    state: z.union([z.string(), z.array(z.string()).max(16)]),
    group: z.string(),
    jobType: z.string(),
    tags: z.array(z.string()).max(100),
    name: z.string(),
    config: z.record(z.string(), z.unknown()),
    summary: z.record(z.string(), z.unknown()),
  })
  .partial()
  .strict();
