import { CohortError, describeValue } from '../errors.js';
import { isPlainObject } from '../leaf-path.js';
import type { AlertMessage } from '../records.js';

/** `run.alert(title, text, { level, waitDuration })` (docs/run-semantics.md §8). */

/** The alert levels. */
export const ALERT_LEVELS = ['INFO', 'WARN', 'ERROR'] as const;

/** One alert level. */
export type AlertLevel = (typeof ALERT_LEVELS)[number];

/** The longest alert title, in characters: W&B's titles must be shorter than 64. */
export const MAX_ALERT_TITLE_LENGTH = 63;

/** The longest alert text, in UTF-8 bytes (64 KiB). */
export const MAX_ALERT_TEXT_BYTES = 64 * 1024;

/** The wait between two alerts of the same title when none (or 0) is given. */
export const DEFAULT_ALERT_WAIT_MS = 60_000;

/** The options of `run.alert`. */
export interface AlertOptions {
  /** @defaultValue `'INFO'` */
  level?: AlertLevel;
  /** Seconds, or `{ ms }` milliseconds; alerts of the same title within it are suppressed. @defaultValue 60 s */
  waitDuration?: number | { ms: number };
}

/** An alert as checked, before it gets its timestamp. */
export type ParsedAlert = Omit<AlertMessage, 'timestamp'>;

function invalid(message: string): CohortError {
  return new CohortError('INVALID_ARGUMENT', message);
}

/**
 * Checks the arguments of `run.alert` and returns the record to send (less
 * its timestamp): `title` 1–63 characters (shorter than 64, as W&B), `text` a string of at most 64 KiB,
 * `level` exactly `INFO`, `WARN` or `ERROR`, `waitDuration` in seconds or
 * `{ ms }`, 0 or absent meaning 60 s.
 *
 * @example
 * parseAlert('loss diverged', 'loss is NaN at step 300', { level: 'WARN', waitDuration: 300 });
 * // { title: 'loss diverged', text: 'loss is NaN at step 300', level: 'WARN', waitDurationMs: 300000 }
 */
export function parseAlert(title: unknown, text: unknown, opts?: unknown): ParsedAlert {
  if (typeof title !== 'string') throw new TypeError(`Expected \`title\` to be a string, got ${describeValue(title)}`);
  if (title.length === 0 || title.length > MAX_ALERT_TITLE_LENGTH) {
    throw invalid(`Expected \`title\` to be 1 to ${MAX_ALERT_TITLE_LENGTH} characters, got ${describeValue(title)} (${title.length} characters)`);
  }
  if (typeof text !== 'string') throw new TypeError(`Expected \`text\` to be a string, got ${describeValue(text)}`);
  // A UTF-16 unit is at most 3 UTF-8 bytes: count bytes only when it could matter.
  if (text.length * 3 > MAX_ALERT_TEXT_BYTES) {
    const bytes = new TextEncoder().encode(text).length;
    if (bytes > MAX_ALERT_TEXT_BYTES) {
      throw invalid(`Expected \`text\` to be at most ${MAX_ALERT_TEXT_BYTES} bytes (64 KiB) of UTF-8, got ${bytes} bytes`);
    }
  }

  let level: AlertLevel = 'INFO';
  let waitDurationMs = DEFAULT_ALERT_WAIT_MS;
  if (opts !== undefined && opts !== null) {
    if (!isPlainObject(opts)) throw new TypeError(`Expected the options of alert to be an object, got ${describeValue(opts)}`);
    for (const key in opts) {
      const value = opts[key];
      if (key === 'level') {
        if (value === undefined) continue;
        if (!(ALERT_LEVELS as readonly unknown[]).includes(value)) {
          throw invalid(`Expected \`level\` to be one of ${ALERT_LEVELS.join(', ')}, got ${describeValue(value)}`);
        }
        level = value as AlertLevel;
      } else if (key === 'waitDuration' || key === 'wait_duration') {
        if (value === undefined || value === null) continue;
        const ms = readWaitMs(value);
        waitDurationMs = ms === 0 ? DEFAULT_ALERT_WAIT_MS : ms;
      } else {
        throw invalid(`Unknown alert option \`${key}\`: expected level or waitDuration`);
      }
    }
  }
  return { title, text, level, waitDurationMs };
}

function readWaitMs(value: unknown): number {
  const rule = 'a non-negative number of seconds or { ms } milliseconds';
  let ms: unknown;
  if (typeof value === 'number') ms = value * 1000;
  else if (isPlainObject(value) && Object.keys(value).length === 1 && 'ms' in value) ms = value.ms;
  else throw new TypeError(`Expected \`waitDuration\` to be ${rule}, got ${describeValue(value)}`);
  if (typeof ms !== 'number') throw new TypeError(`Expected \`waitDuration.ms\` to be a number, got ${describeValue(ms)}`);
  if (!Number.isFinite(ms) || ms < 0) throw invalid(`Expected \`waitDuration\` to be ${rule}, got ${describeValue(value)}`);
  return ms;
}

/**
 * Whether an alert is suppressed: the last alert of the same title was sent
 * less than `waitDurationMs` before `nowMs`.
 */
export function isAlertSuppressed(lastSentMs: number | undefined, nowMs: number, waitDurationMs: number): boolean {
  return lastSentMs !== undefined && nowMs - lastSentMs < waitDurationMs;
}
