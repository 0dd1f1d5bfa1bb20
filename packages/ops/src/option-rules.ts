import { z } from 'zod';
import { REDIS_URL_FORMS, REDIS_URL_PATTERN, parseRedisUrl } from './redis-connection.js';

/**
 * The rules of server options, each a zod schema whose every issue says the
 * rule in words ("an integer from 0 to 65535"), so that {@link parseOptions}
 * can name the field and the rule the same way for the API and the CLI.
 */

/** An integer from `min` to `max`. */
export function int(min: number, max: number) {
  const error = `an integer from ${min} to ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** A non-empty string of at most `max` characters. */
export function text(max: number) {
  const error = `a non-empty string of at most ${max} characters`;
  return z.string({ error }).min(1, { error }).max(max, { error });
}

/** A number above 0, at most `max`. */
export function positive(max: number) {
  const error = `a number above 0 and at most ${max}`;
  return z.number({ error }).gt(0, { error }).max(max, { error });
}

/** A TCP port; 0 picks a free one. */
export const port = int(0, 65535);

/** A host name or address to bind or advertise. */
export const host = text(253);

/** A duration in milliseconds, from 1 ms to an hour. */
export const millis = int(1, 3_600_000);

/** How often a periodic task runs, in milliseconds, from 10 ms (`startLocalTasks`' floor) to a day; 0 turns it off. */
export const interval = (() => {
  const error = '0 (off) or an integer from 10 to 86400000';
  return z
    .number({ error })
    .int({ error })
    .refine((ms) => ms === 0 || (ms >= 10 && ms <= 86_400_000), { error });
})();

/** The Redis of the queues: one server, a Redis Cluster or a Sentinel-named master (`parseRedisUrl`). */
export const redisUrl = z
  .string({ error: REDIS_URL_FORMS })
  .regex(REDIS_URL_PATTERN, { error: REDIS_URL_FORMS })
  .refine((url) => {
    try {
      parseRedisUrl(url);
      return true;
    } catch {
      return false;
    }
  }, { error: REDIS_URL_FORMS });

/** A `postgres://` (or `postgresql://`) URL. */
export const postgresUrl = z.string({ error: 'a postgres:// URL' }).regex(/^postgres(ql)?:\/\/\S+$/, { error: 'a postgres:// URL' });

/** The Redis key prefix of the queues: one deployment per prefix. */
export const queuePrefix = z
  .string({ error: '1 to 64 letters, digits, _ . - { }' })
  .regex(/^[A-Za-z0-9_.{}-]{1,64}$/, { error: '1 to 64 letters, digits, _ . - { }' });

/** An option that breaks its rule: names the field (`scaled.prefix`) and the rule. */
export class OptionsError extends TypeError {
  override name = 'OptionsError';
  /** The field, dotted: `grpcPort`, `scaled.redisUrl`. */
  readonly path: string;
  /** The rule in words: `an integer from 0 to 65535`. */
  readonly rule: string;
  constructor(path: string, rule: string, value: unknown) {
    super(`Expected \`${path}\` to be ${rule}, got \`${show(value)}\` (${value === null ? 'null' : typeof value})`);
    this.path = path;
    this.rule = rule;
  }
}

/**
 * Checks `input` against `schema` and returns it with the defaults filled
 * in; the first broken rule throws an {@link OptionsError}:
 * ``Expected `grpcPort` to be an integer from 0 to 65535, got `70000` (number)``.
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = specific(parsed.error.issues[0]!);
  let value: unknown = input;
  for (const key of issue.path) value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  throw new OptionsError(issue.path.map(String).join('.'), issue.message, value);
}

/** Of a union's issue, the one of the option the value went furthest in (`rateLimit.burst`, not `rateLimit`). */
function specific(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string } {
  if (issue.code !== 'invalid_union') return issue;
  const inner = issue.errors.flat().find((i) => i.path.length > 0);
  if (inner === undefined) return issue;
  const deeper = specific(inner);
  return { path: [...issue.path, ...deeper.path], message: deeper.message };
}

/** A value as an error shows it: bounded, with a URL's password hidden. */
function show(value: unknown): string {
  let s: string;
  try {
    s = typeof value === 'string' ? value : value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value);
  } catch {
    s = Object.prototype.toString.call(value);
  }
  s = s.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  return s.length > 100 ? `${s.slice(0, 100)}...` : s;
}
