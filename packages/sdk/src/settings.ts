import { z } from 'zod';
import { invalidArgument } from '@cohort/protocol';
import { defaultLogger, silentLogger, type Logger } from './logger.js';
import { describeZodIssue } from './zod-errors.js';

/**
 * Settings of a run (`init({ settings })`). Unknown names are an error.
 * The resolved settings are frozen on `run.settings`.
 */
export interface Settings {
  /** Sends no warnings to the logger (errors still go). @defaultValue false */
  readonly silent?: boolean;
  /** Seconds between heartbeats on the record stream. @defaultValue 15 */
  readonly heartbeatSeconds?: number;
  /** How long `finish()` waits for the server to commit everything. @defaultValue 60000 */
  readonly finishTimeoutMs?: number;
  /** How long `init()` waits for the server to be found and to open the run, trying again while it is away. @defaultValue 30000 */
  readonly initTimeoutMs?: number;
  /**
   * Logged rows are batched for this long before they become a record (and
   * reach the WAL). Shorter shows rows sooner; longer costs the server less
   * per row when many ranks log (the fan-in bench: 256 ranks at 250k
   * points/s went from p99 2.5 s to 1.5 s going from 50 to 200).
   * @defaultValue 200
   */
  readonly flushIntervalMs?: number;
  /** A batch is cut at once when this many rows are buffered. @defaultValue 1000 */
  readonly flushRows?: number;
  /**
   * Rows emitted but not yet written to the WAL above which `log()` encodes
   * synchronously (back-pressure on the caller instead of unbounded growth). @defaultValue 100000
   */
  readonly maxBufferedRows?: number;
  /**
   * Encoded records kept in memory for resending; older unacknowledged ones are
   * read back from the WAL. @defaultValue 64 MiB
   */
  readonly maxBufferedBytes?: number;
  /**
   * WAL bytes on disk (records the server has not committed) above which the
   * SDK warns once that the server is not keeping up. Nothing is dropped. @defaultValue 1 GiB
   */
  readonly maxWalBytes?: number;
  /** A WAL segment rotates at this size. @defaultValue 8 MiB */
  readonly walSegmentBytes?: number;
  /** Shared mode: this writer's label. @defaultValue the host name and pid */
  readonly label?: string;
  /** Shared mode: whether this writer is the primary one. @defaultValue false */
  readonly primary?: boolean;
  /**
   * Shared mode: whether this writer's exit decides the run's final state.
   * @defaultValue `primary` in shared mode (only the primary decides), true otherwise
   */
  readonly updateFinishState?: boolean;
  /** Seconds between system metric samples (CPU, memory, GPUs via `nvidia-smi`); 0 turns them off. @defaultValue 15 */
  readonly systemMetricsSeconds?: number;
  /**
   * On SIGTERM (Kubernetes eviction, spot reclaim): mark the run preempting,
   * flush within `sigtermFlushSeconds`, then let the process exit. @defaultValue true
   */
  readonly handleSigterm?: boolean;
  /** The most seconds the SIGTERM handler spends flushing (under GKE spot's 15 s notice). @defaultValue 10 */
  readonly sigtermFlushSeconds?: number;
  /**
   * Poll cloud preemption notices and mark the run preempting when one comes:
   * `true` for the default endpoint, or the URL to poll (tests use a local server).
   */
  readonly preemptionNotices?: PreemptionNoticeSettings;
  /** Where warnings and errors go. @defaultValue stderr, or nothing when `silent` */
  readonly logger?: Logger;
  /**
   * Console capture: the process's stdout and stderr lines become the run's
   * `output.log` (streamed as records). `'off'` turns it off; `'auto'` and
   * `'wrap'` capture. @defaultValue `'auto'`
   */
  readonly console?: 'auto' | 'wrap' | 'off';
}

/** Which cloud preemption notices to poll (`true`: the cloud's metadata endpoint; a string: that URL). */
export interface PreemptionNoticeSettings {
  /** AWS spot `instance-action` (`http://169.254.169.254/latest/meta-data/spot/instance-action`). */
  readonly aws?: boolean | string;
  /** GCE `instance/preempted` (`http://metadata.google.internal/computeMetadata/v1/instance/preempted`). */
  readonly gce?: boolean | string;
  /** Azure scheduled events (`http://169.254.169.254/metadata/scheduledevents?api-version=2020-07-01`). */
  readonly azure?: boolean | string;
  /** Milliseconds between polls. @defaultValue 5000 */
  readonly intervalMs?: number;
}

/** Settings after defaults, as `run.settings` shows them. */
export interface ResolvedSettings {
  readonly silent: boolean;
  readonly heartbeatSeconds: number;
  readonly finishTimeoutMs: number;
  readonly initTimeoutMs: number;
  readonly flushIntervalMs: number;
  readonly flushRows: number;
  readonly maxBufferedRows: number;
  readonly maxBufferedBytes: number;
  readonly maxWalBytes: number;
  readonly walSegmentBytes: number;
  readonly label: string;
  readonly primary: boolean;
  readonly updateFinishState: boolean;
  readonly systemMetricsSeconds: number;
  readonly handleSigterm: boolean;
  readonly sigtermFlushSeconds: number;
  readonly preemptionNotices: PreemptionNoticeSettings;
  readonly logger: Logger;
  /** Whether stdout and stderr lines are captured as `output.log`. */
  readonly console: 'wrap' | 'off';
}

const positive = () => z.number().positive().finite();
const positiveInt = () => z.number().int().positive();

const loggerSchema = z.custom<Logger>(
  (v) =>
    v !== null &&
    typeof v === 'object' &&
    ['debug', 'info', 'warn', 'error'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
  { message: 'expected an object with debug, info, warn and error methods' },
);

/** `settings.heartbeatSeconds` when not given; a server's heartbeat timeout must stay well above it. */
export const DEFAULT_HEARTBEAT_SECONDS = 15;

/** The zod schema of {@link Settings}. */
export const SettingsSchema = z.strictObject({
  silent: z.boolean().optional(),
  heartbeatSeconds: positive().optional(),
  finishTimeoutMs: z.number().nonnegative().finite().optional(),
  initTimeoutMs: positive().optional(),
  flushIntervalMs: z.number().nonnegative().finite().optional(),
  flushRows: positiveInt().optional(),
  maxBufferedRows: positiveInt().optional(),
  maxBufferedBytes: positiveInt().optional(),
  maxWalBytes: positiveInt().optional(),
  walSegmentBytes: positiveInt().min(1024).optional(),
  label: z.string().min(1).max(128).optional(),
  primary: z.boolean().optional(),
  updateFinishState: z.boolean().optional(),
  systemMetricsSeconds: z.number().nonnegative().finite().optional(),
  handleSigterm: z.boolean().optional(),
  sigtermFlushSeconds: z.number().nonnegative().max(3600).optional(),
  preemptionNotices: z
    .strictObject({
      aws: z.union([z.boolean(), z.url()]).optional(),
      gce: z.union([z.boolean(), z.url()]).optional(),
      azure: z.union([z.boolean(), z.url()]).optional(),
      intervalMs: z.number().int().min(10).optional(),
    })
    .optional(),
  logger: loggerSchema.optional(),
  console: z.enum(['auto', 'wrap', 'off']).optional(),
});

/**
 * Parses settings and fills defaults. Throws `CohortError` INVALID_ARGUMENT
 * naming the setting (an unknown one included).
 */
export function resolveSettings(input: unknown, defaults: { label: string; shared?: boolean }): ResolvedSettings {
  // Accept snake_case names too (`heartbeat_seconds`), as init options do.
  const camel = input !== null && typeof input === 'object' && !Array.isArray(input) ? camelKeys(input as Record<string, unknown>) : input;
  const parsed = SettingsSchema.safeParse(camel ?? {});
  if (!parsed.success) {
    throw invalidArgument(`Invalid settings: ${parsed.error.issues.map((i) => describeZodIssue(i, 'settings')).join('; ')}`);
  }
  const s = parsed.data;
  const silent = s.silent ?? false;
  return Object.freeze({
    silent,
    heartbeatSeconds: s.heartbeatSeconds ?? DEFAULT_HEARTBEAT_SECONDS,
    finishTimeoutMs: s.finishTimeoutMs ?? 60_000,
    initTimeoutMs: s.initTimeoutMs ?? 30_000,
    flushIntervalMs: s.flushIntervalMs ?? 200,
    flushRows: s.flushRows ?? 1000,
    maxBufferedRows: s.maxBufferedRows ?? 100_000,
    maxBufferedBytes: s.maxBufferedBytes ?? 64 * 1024 * 1024,
    maxWalBytes: s.maxWalBytes ?? 1024 * 1024 * 1024,
    walSegmentBytes: s.walSegmentBytes ?? 8 * 1024 * 1024,
    label: s.label ?? defaults.label,
    primary: s.primary ?? false,
    // docs/run-semantics.md §6: only the primary decides the finish state unless a writer is told otherwise.
    updateFinishState: s.updateFinishState ?? (defaults.shared === true ? (s.primary ?? false) : true),
    systemMetricsSeconds: s.systemMetricsSeconds ?? 15,
    handleSigterm: s.handleSigterm ?? true,
    sigtermFlushSeconds: s.sigtermFlushSeconds ?? 10,
    preemptionNotices: Object.freeze({ ...(s.preemptionNotices ?? {}) }) as PreemptionNoticeSettings,
    logger: s.logger ?? (silent ? silentLogger : defaultLogger),
    console: s.console === 'off' ? 'off' : 'wrap',
  });
}

/** `a_b_c` → `aBC`: snake_case keys of option objects become camelCase. */
export function camelKeys(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const camel = k.includes('_') ? k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()) : k;
    if (camel in out && camel !== k) throw invalidArgument(`Option \`${k}\` is given twice (also as \`${camel}\`)`);
    out[camel] = v;
  }
  return out;
}
