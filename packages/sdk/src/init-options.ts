import { hostname } from 'node:os';
import { z } from 'zod';
import { groupInstanceName, invalidArgument, isPlainObject } from '@cohort/protocol';
import { DEFAULT_URL, readEnv } from './env.js';
import { detectDistributedEnv, groupRunId, type DistributedSource } from './dist-env.js';
import { camelKeys, resolveSettings, type ResolvedSettings, type Settings } from './settings.js';
import { describeZodIssue } from './zod-errors.js';

/** How a run talks to the server. */
export type RunMode = 'online' | 'offline' | 'disabled' | 'shared';

/** `resume` as given to `init`: `true` means `"allow"`, `false` means none. */
export type ResumeOption = 'allow' | 'must' | 'never' | 'auto' | boolean;

/**
 * Options of `init()` (W&B's `wandb.init` arguments, camelCase; the snake_case
 * spellings `job_type`, `resume_from`, `fork_from`, `world_size`,
 * `local_rank` are accepted too).
 */
export interface InitOptions {
  /** @defaultValue `COHORT_PROJECT`, else `"uncategorized"` */
  readonly project?: string;
  /** @defaultValue `COHORT_ENTITY`, else the server's default entity */
  readonly entity?: string;
  /** The run id. @defaultValue `COHORT_RUN_ID`, the id saved for `resume: "auto"`, else 8 random `[a-z0-9]` */
  readonly id?: string;
  /** The display name. @defaultValue chosen by the server */
  readonly name?: string;
  /** @defaultValue `COHORT_RUN_GROUP` */
  readonly group?: string;
  /** @defaultValue `COHORT_JOB_TYPE` */
  readonly jobType?: string;
  readonly tags?: readonly string[];
  readonly notes?: string;
  /** The initial config (docs/run-semantics.md §4). */
  readonly config?: Readonly<Record<string, unknown>>;
  /** @defaultValue `COHORT_MODE`, else `"online"` */
  readonly mode?: RunMode;
  /** Resume rules of docs/run-semantics.md §5. @defaultValue `COHORT_RESUME`, else none */
  readonly resume?: ResumeOption;
  /**
   * What `init` does while a run is active (W&B's `reinit`):
   * `"finish_previous"` finishes it (exit code 0) and starts the new run, which
   * becomes the active one; `"return_previous"` returns the active run
   * unchanged; `"create_new"` starts an independent run beside it and leaves
   * the active run (and `log()`/`finish()` of the module) alone: several runs
   * at once in one process. `true` means `"finish_previous"`, `false`
   * `"return_previous"`. @defaultValue `"finish_previous"`
   */
  readonly reinit?: ReinitOption | boolean;
  /** `"<run>?_step=<n>"`: rewind this run to step n. */
  readonly resumeFrom?: string;
  /** `"<run>?_step=<n>"`: a new run starting from another's step n. */
  readonly forkFrom?: string;
  /** The folder that holds run folders. @defaultValue `COHORT_DIR`, else `./.cohort` */
  readonly dir?: string;
  /** @defaultValue `RANK` (or SLURM/MPI/PMI/indexed-Job equivalents), else none */
  readonly rank?: number;
  readonly worldSize?: number;
  readonly localRank?: number;
  /** The node's name. @defaultValue `COHORT_NODE`, `SLURMD_NODENAME`, `NODE_NAME`, else the host name */
  readonly node?: string;
  /** The restart attempt of this process. @defaultValue `TORCHELASTIC_RESTART_COUNT` (or SLURM/JobSet equivalents), else 0 */
  readonly restartAttempt?: number;
  readonly settings?: Settings & { readonly mode?: RunMode };
  /**
   * The API key (`ck_...`) sent with every call, for a server that runs with
   * keys. @defaultValue `COHORT_API_KEY`, else `WANDB_API_KEY`
   */
  readonly apiKey?: string;
  /**
   * Path of a PEM CA certificate to trust for TLS (a private CA or a
   * self-signed server). TLS itself is asked for by an `https://` `COHORT_URL`
   * or a `grpcs://host:port` one. @defaultValue `COHORT_TLS_CA`, else the system's roots
   */
  readonly tlsCa?: string;
}

/** `reinit` of {@link InitOptions}. */
export type ReinitOption = 'finish_previous' | 'return_previous' | 'create_new';

/** `init` options after defaults and validation; what the rest of the SDK reads. */
export interface ResolvedInitOptions {
  readonly reinit: ReinitOption;
  readonly project: string;
  readonly entity: string | undefined;
  readonly id: string | undefined;
  readonly name: string;
  readonly group: string;
  readonly jobType: string;
  readonly tags: readonly string[] | undefined;
  readonly notes: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly mode: RunMode;
  readonly resume: '' | 'allow' | 'must' | 'never' | 'auto';
  readonly resumeFrom: string;
  readonly forkFrom: string;
  /** The folder that holds run folders (`resume.json` lives here too). */
  readonly baseDir: string;
  /** -1 when not part of a ranked group. */
  readonly rank: number;
  readonly worldSize: number;
  readonly localRank: number;
  /** The node name sent with the run (the host name unless the launcher names the node). */
  readonly node: string;
  readonly restartAttempt: number;
  /** Which launcher's environment filled group and rank (docs/distributed.md). */
  readonly distributedSource: DistributedSource;
  /**
   * The group claim sent with `OpenRun` when the launcher's job key is not
   * unique: the coordinator picks the group (an instance of `group`) and the
   * run id (docs/distributed.md, "Which job a rank belongs to"). Empty strings: none.
   */
  readonly groupClaim: { readonly groupKey: string; readonly groupToken: string; readonly groupSlot: string };
  readonly host: string;
  /** `COHORT_URL` or the default. */
  readonly url: string;
  readonly apiKey: string | undefined;
  /** Path of the PEM CA trusted for TLS. */
  readonly tlsCa: string | undefined;
  readonly settings: ResolvedSettings;
}

const text = () => z.string();
const rank = () => z.number().int().min(0);

/** The zod schema of {@link InitOptions} (after snake_case keys became camelCase). */
export const InitOptionsSchema = z.strictObject({
  project: text().optional(),
  entity: text().min(1).optional(),
  id: text().optional(),
  name: text().optional(),
  group: text().optional(),
  jobType: text().optional(),
  tags: z.array(z.string()).optional(),
  notes: text().optional(),
  config: z.custom<Record<string, unknown>>((v) => isPlainObject(v), { message: 'expected a plain object' }).optional(),
  mode: z.enum(['online', 'offline', 'disabled', 'shared']).optional(),
  resume: z.union([z.enum(['allow', 'must', 'never', 'auto']), z.boolean()]).optional(),
  reinit: z.union([z.enum(['finish_previous', 'return_previous', 'create_new']), z.boolean()]).optional(),
  resumeFrom: text().min(1).optional(),
  forkFrom: text().min(1).optional(),
  dir: text().min(1).optional(),
  rank: rank().optional(),
  worldSize: z.number().int().min(1).optional(),
  localRank: rank().optional(),
  node: text().min(1).max(256).optional(),
  restartAttempt: z.number().int().min(0).optional(),
  settings: z.custom<Record<string, unknown>>((v) => isPlainObject(v), { message: 'expected a plain object' }).optional(),
  apiKey: text().min(1).optional(),
  tlsCa: text().min(1).optional(),
});

/**
 * Parses `init` options and the environment into {@link ResolvedInitOptions}.
 * Throws `CohortError` INVALID_ARGUMENT naming the option for a bad one, and
 * for `resume`, `resumeFrom` and `forkFrom` given together.
 */
export function resolveInitOptions(
  options: InitOptions | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ResolvedInitOptions {
  if (options !== undefined && !isPlainObject(options)) {
    throw invalidArgument(`Expected \`init\` options to be a plain object, got ${typeof options}`);
  }
  const parsed = InitOptionsSchema.safeParse(camelKeys((options ?? {}) as Record<string, unknown>));
  if (!parsed.success) {
    throw invalidArgument(`Invalid init options: ${parsed.error.issues.map((i) => describeZodIssue(i, 'options')).join('; ')}`);
  }
  const o = parsed.data;
  const e = readEnv(env);
  const rawSettings = { ...(o.settings ?? {}) };
  const settingsMode = rawSettings['mode'];
  delete rawSettings['mode'];
  if (settingsMode !== undefined && !['online', 'offline', 'disabled', 'shared'].includes(settingsMode as string)) {
    throw invalidArgument(`Invalid init options: \`options.settings.mode\`: expected one of online, offline, disabled, shared, got ${JSON.stringify(settingsMode)}`);
  }
  const settings = resolveSettings(rawSettings, { label: `${hostname()}-${process.pid}`, shared: settingsMode === 'shared' || o.mode === 'shared' || (o.mode === undefined && e.mode === 'shared') });
  const dist = detectDistributedEnv(env);
  const mode = o.mode ?? (settingsMode as RunMode | undefined) ?? e.mode ?? 'online';
  let resume: ResolvedInitOptions['resume'] = o.resume === true ? 'allow' : o.resume === false ? '' : (o.resume ?? (o.resumeFrom || o.forkFrom ? '' : (e.resume ?? '')));
  const exclusive = [resume !== '' && 'resume', o.resumeFrom !== undefined && 'resumeFrom', o.forkFrom !== undefined && 'forkFrom'].filter(
    (x): x is string => typeof x === 'string',
  );
  if (exclusive.length > 1) {
    throw invalidArgument(`Options ${exclusive.map((x) => `\`${x}\``).join(' and ')} cannot be given together (they are mutually exclusive)`);
  }
  const project = o.project ?? e.project ?? 'uncategorized';
  let group = o.group ?? e.group ?? dist.group ?? '';
  const rankValue = o.rank ?? dist.rank ?? -1;
  let id = o.id ?? e.runId;
  const ranked = id === undefined && mode !== 'shared' && group !== '' && rankValue >= 0 && o.resumeFrom === undefined && o.forkFrom === undefined;
  // The launcher's job key is not unique and nobody named the group: the coordinator picks it (offline cannot ask).
  const claim = ranked && o.group === undefined && e.group === undefined ? dist.claim : undefined;
  if (claim !== undefined && mode === 'offline') group = groupInstanceName(group, [claim.key, claim.token]);
  const online = claim !== undefined && mode === 'online';
  if (ranked) {
    // One run per (group, rank): a restarted process finds and resumes its own run.
    if (!online) id = groupRunId(o.entity ?? e.entity ?? '', project, group, rankValue);
    if (o.resume === undefined && e.resume === undefined) resume = 'allow';
  }
  if (mode === 'shared' && id === undefined) {
    throw invalidArgument('Shared mode needs the primary run\'s `id` (every writer passes the same one)');
  }
  const worldSize = o.worldSize ?? dist.worldSize;
  return {
    reinit: o.reinit === true || o.reinit === undefined ? 'finish_previous' : o.reinit === false ? 'return_previous' : o.reinit,
    project,
    entity: o.entity ?? e.entity,
    id,
    name: o.name ?? '',
    group,
    jobType: o.jobType ?? e.jobType ?? '',
    tags: o.tags,
    notes: o.notes ?? '',
    config: o.config ?? {},
    mode,
    resume,
    resumeFrom: o.resumeFrom ?? '',
    forkFrom: o.forkFrom ?? '',
    baseDir: o.dir ?? e.dir ?? '.cohort',
    rank: rankValue,
    worldSize: worldSize ?? 0,
    localRank: o.localRank ?? dist.localRank ?? -1,
    node: o.node ?? dist.node ?? hostname(),
    restartAttempt: o.restartAttempt ?? dist.restartAttempt,
    distributedSource: o.rank !== undefined ? 'none' : dist.source,
    groupClaim: online ? { groupKey: claim.key, groupToken: claim.token, groupSlot: claim.slot } : { groupKey: '', groupToken: '', groupSlot: '' },
    host: hostname(),
    url: e.url ?? DEFAULT_URL,
    apiKey: o.apiKey ?? e.apiKey,
    tlsCa: o.tlsCa ?? e.tlsCa,
    settings,
  };
}
