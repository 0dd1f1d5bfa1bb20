import { z } from 'zod';
import { invalidArgument } from '@cohort/protocol';
import { describeZodIssue } from './zod-errors.js';
import { detectDistributedEnv } from './dist-env.js';

/** The server a run talks to when `COHORT_URL` is not set. */
export const DEFAULT_URL = 'http://127.0.0.1:7712';

const optionalText = z.string().trim().min(1).optional().catch(undefined);
const rankText = z
  .string()
  .regex(/^\d+$/, 'expected a non-negative integer')
  .transform(Number)
  .optional();

/**
 * The environment variables the SDK reads, parsed. Empty strings count as unset.
 * The rank variables are checked here (a bad one is an error naming it);
 * which launcher's count is `detectDistributedEnv`'s rule (docs/distributed.md).
 */
export const EnvSchema = z.object({
  COHORT_URL: optionalText,
  COHORT_API_KEY: optionalText,
  /** W&B's name for the key, accepted so existing setups keep working; `COHORT_API_KEY` wins. */
  WANDB_API_KEY: optionalText,
  COHORT_TLS_CA: optionalText,
  COHORT_MODE: z.enum(['online', 'offline', 'disabled', 'shared']).optional(),
  COHORT_PROJECT: optionalText,
  COHORT_ENTITY: optionalText,
  COHORT_DIR: optionalText,
  COHORT_RUN_ID: optionalText,
  COHORT_RUN_GROUP: optionalText,
  COHORT_JOB_TYPE: optionalText,
  COHORT_RESUME: z.enum(['allow', 'must', 'never', 'auto']).optional(),
  RANK: rankText,
  WORLD_SIZE: rankText,
  LOCAL_RANK: rankText,
  SLURM_PROCID: rankText,
  SLURM_NTASKS: rankText,
  SLURM_LOCALID: rankText,
  OMPI_COMM_WORLD_RANK: rankText,
  OMPI_COMM_WORLD_SIZE: rankText,
  OMPI_COMM_WORLD_LOCAL_RANK: rankText,
  PMI_RANK: rankText,
  PMI_SIZE: rankText,
  JOB_COMPLETION_INDEX: rankText,
});

/** What {@link readEnv} gives. */
export interface CohortEnv {
  readonly url: string | undefined;
  readonly apiKey: string | undefined;
  /** Path of a PEM CA certificate trusted for TLS (`COHORT_TLS_CA`). */
  readonly tlsCa: string | undefined;
  readonly mode: 'online' | 'offline' | 'disabled' | 'shared' | undefined;
  readonly project: string | undefined;
  readonly entity: string | undefined;
  readonly dir: string | undefined;
  readonly runId: string | undefined;
  readonly group: string | undefined;
  readonly jobType: string | undefined;
  readonly resume: 'allow' | 'must' | 'never' | 'auto' | undefined;
  readonly rank: number | undefined;
  readonly worldSize: number | undefined;
  readonly localRank: number | undefined;
}

/**
 * Parses the SDK's environment variables. Throws `CohortError`
 * INVALID_ARGUMENT naming the variable for a bad value (`COHORT_MODE=onlin`).
 */
export function readEnv(env: Readonly<Record<string, string | undefined>> = process.env): CohortEnv {
  const present: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v.trim() !== '') present[key] = v.trim();
  }
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    throw invalidArgument(
      `Invalid environment: ${parsed.error.issues.map((i) => describeZodIssue(i, 'env').replace('env.', '')).join('; ')}`,
    );
  }
  const e = parsed.data;
  const dist = detectDistributedEnv(env);
  return {
    url: e.COHORT_URL,
    apiKey: e.COHORT_API_KEY ?? e.WANDB_API_KEY,
    tlsCa: e.COHORT_TLS_CA,
    mode: e.COHORT_MODE,
    project: e.COHORT_PROJECT,
    entity: e.COHORT_ENTITY,
    dir: e.COHORT_DIR,
    runId: e.COHORT_RUN_ID,
    group: e.COHORT_RUN_GROUP,
    jobType: e.COHORT_JOB_TYPE,
    resume: e.COHORT_RESUME,
    // One rule for which launcher's variables count: detectDistributedEnv (docs/distributed.md).
    rank: dist.rank,
    worldSize: dist.worldSize,
    localRank: dist.localRank,
  };
}
