import { createHash } from 'node:crypto';

/** Where {@link detectDistributedEnv} found a process's place in a training group. */
export type DistributedSource = 'cohort' | 'torchelastic' | 'kubeflow' | 'jobset' | 'indexed-job' | 'slurm' | 'mpi' | 'ray' | 'none';

/** A process's place in a training group, as the launcher's environment tells it. */
export interface DistributedEnv {
  readonly source: DistributedSource;
  readonly group: string | undefined;
  readonly rank: number | undefined;
  readonly worldSize: number | undefined;
  readonly localRank: number | undefined;
  /** The node's index among the group's nodes (`GROUP_RANK`, `SLURM_NODEID`...). */
  readonly nodeRank: number | undefined;
  /** The node's name (`SLURMD_NODENAME`, `NODE_NAME` from the downward API), else undefined (the host name is used). */
  readonly node: string | undefined;
  /** The restart attempt (0 for the first run of the process). */
  readonly restartAttempt: number;
}

type Env = Readonly<Record<string, string | undefined>>;

function int(env: Env, name: string): number | undefined {
  const v = env[name]?.trim();
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

function text(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/** Group names may not hold `/`: a pod or job name never does, but be safe. */
function groupName(v: string | undefined): string | undefined {
  return v?.replace(/[/\\#?%:]/g, '-').slice(0, 128);
}

/** `my-job-worker-3` → `my-job` (Kubeflow pod names). */
function kubeflowJobName(host: string | undefined): string | undefined {
  const m = host?.match(/^(.*)-(master|worker|launcher)-\d+$/);
  return m?.[1];
}

/** `my-job-3-abcde` → `my-job` (Indexed Job pod names: `<job>-<index>-<suffix>`). */
function indexedJobName(host: string | undefined, index: number): string | undefined {
  const m = host?.match(new RegExp(`^(.*)-${index}-[a-z0-9]{5}$`));
  return m?.[1];
}

/**
 * Reads a process's rank and group from the environment of its launcher,
 * first match wins (docs/distributed.md has the table):
 *
 * 1. Cohort's own `COHORT_RANK`, `COHORT_WORLD_SIZE`, `COHORT_LOCAL_RANK`, `COHORT_NODE`, `COHORT_RESTART_ATTEMPT` (set by `cohort k8s manifest`);
 * 2. torchrun / torch elastic: `RANK`, `WORLD_SIZE`, `LOCAL_RANK`, `GROUP_RANK`, `LOCAL_WORLD_SIZE`, `TORCHELASTIC_RUN_ID` (group), `TORCHELASTIC_RESTART_COUNT`;
 * 3. Kubeflow PyTorchJob: `PET_NNODES`/`PET_NODE_RANK`/`PET_NPROC_PER_NODE` with `RANK`, `WORLD_SIZE`; group from the pod name (`<job>-worker-<i>`);
 * 4. JobSet (labels passed as env): `JOBSET_NAME`, `JOB_INDEX`, `JOB_COMPLETION_INDEX`, `PODS_PER_JOB`, `JOBSET_RESTART_ATTEMPT`;
 * 5. Kubernetes Indexed Job: `JOB_COMPLETION_INDEX`, `JOB_NAME` (else from the pod name);
 * 6. Ray Train (its Torch backend), or any plain `RANK`: `RANK`, `WORLD_SIZE`, `LOCAL_RANK`, `NODE_RANK` with `RAY_TRAIN_RUN_ID` or `RAY_JOB_ID` (group);
 * 7. SLURM: `SLURM_PROCID`, `SLURM_NTASKS`, `SLURM_LOCALID`, `SLURM_NODEID`, `SLURMD_NODENAME`, `SLURM_JOB_ID` (group `slurm-<id>`), `SLURM_RESTART_COUNT`;
 * 8. MPI: `OMPI_COMM_WORLD_RANK`/`_SIZE`/`_LOCAL_RANK`, `OMPI_COMM_WORLD_NODE_RANK`; `PMI_RANK`/`PMI_SIZE` (MPICH, Intel MPI);
 *
 * A plain `RANK` wins over SLURM's and MPI's variables: it is PyTorch's own, set on purpose.
 */
export function detectDistributedEnv(env: Env = process.env): DistributedEnv {
  const nodeName = text(env, 'COHORT_NODE') ?? text(env, 'SLURMD_NODENAME') ?? text(env, 'NODE_NAME');
  const base = { node: nodeName } as const;
  if (int(env, 'COHORT_RANK') !== undefined) {
    return {
      ...base,
      source: 'cohort',
      group: undefined,
      rank: int(env, 'COHORT_RANK'),
      worldSize: int(env, 'COHORT_WORLD_SIZE'),
      localRank: int(env, 'COHORT_LOCAL_RANK'),
      nodeRank: int(env, 'COHORT_NODE_RANK'),
      restartAttempt: int(env, 'COHORT_RESTART_ATTEMPT') ?? int(env, 'JOBSET_RESTART_ATTEMPT') ?? 0,
    };
  }
  const rank = int(env, 'RANK');
  if (rank !== undefined && text(env, 'TORCHELASTIC_RUN_ID') !== undefined) {
    return {
      ...base,
      source: 'torchelastic',
      group: groupName(text(env, 'TORCHELASTIC_RUN_ID')),
      rank,
      worldSize: int(env, 'WORLD_SIZE'),
      localRank: int(env, 'LOCAL_RANK'),
      nodeRank: int(env, 'GROUP_RANK'),
      restartAttempt: int(env, 'TORCHELASTIC_RESTART_COUNT') ?? 0,
    };
  }
  if (rank !== undefined && (text(env, 'PET_NNODES') !== undefined || text(env, 'PET_NODE_RANK') !== undefined)) {
    const perNode = int(env, 'PET_NPROC_PER_NODE');
    return {
      ...base,
      source: 'kubeflow',
      group: groupName(kubeflowJobName(text(env, 'HOSTNAME'))),
      rank,
      worldSize: int(env, 'WORLD_SIZE') ?? (perNode !== undefined && int(env, 'PET_NNODES') !== undefined ? perNode * int(env, 'PET_NNODES')! : undefined),
      localRank: int(env, 'LOCAL_RANK') ?? (perNode !== undefined ? rank % perNode : undefined),
      nodeRank: int(env, 'PET_NODE_RANK'),
      restartAttempt: int(env, 'TORCHELASTIC_RESTART_COUNT') ?? 0,
    };
  }
  const completion = int(env, 'JOB_COMPLETION_INDEX');
  if (text(env, 'JOBSET_NAME') !== undefined) {
    const perJob = int(env, 'PODS_PER_JOB') ?? 1;
    const jobIndex = int(env, 'JOB_INDEX') ?? 0;
    return {
      ...base,
      source: 'jobset',
      group: groupName(text(env, 'JOBSET_NAME')),
      rank: rank ?? jobIndex * perJob + (completion ?? 0),
      worldSize: int(env, 'WORLD_SIZE') ?? int(env, 'JOBSET_GLOBAL_REPLICAS'),
      localRank: int(env, 'LOCAL_RANK'),
      nodeRank: jobIndex,
      restartAttempt: int(env, 'JOBSET_RESTART_ATTEMPT') ?? 0,
    };
  }
  if (completion !== undefined) {
    return {
      ...base,
      source: 'indexed-job',
      group: groupName(text(env, 'JOB_NAME') ?? indexedJobName(text(env, 'HOSTNAME'), completion)),
      rank: rank ?? completion,
      worldSize: int(env, 'WORLD_SIZE') ?? int(env, 'JOB_COMPLETIONS'),
      localRank: int(env, 'LOCAL_RANK'),
      nodeRank: completion,
      restartAttempt: 0,
    };
  }
  const rayGroup = text(env, 'RAY_TRAIN_RUN_ID') ?? text(env, 'RAY_JOB_ID');
  if (rank !== undefined) {
    return {
      ...base,
      source: rayGroup !== undefined ? 'ray' : 'torchelastic',
      group: groupName(rayGroup ?? (text(env, 'SLURM_JOB_ID') !== undefined ? `slurm-${text(env, 'SLURM_JOB_ID')}` : undefined)),
      rank,
      worldSize: int(env, 'WORLD_SIZE'),
      localRank: int(env, 'LOCAL_RANK'),
      nodeRank: int(env, 'NODE_RANK') ?? int(env, 'GROUP_RANK'),
      restartAttempt: int(env, 'TORCHELASTIC_RESTART_COUNT') ?? 0,
    };
  }
  if (int(env, 'SLURM_PROCID') !== undefined) {
    const jobId = text(env, 'SLURM_JOB_ID');
    return {
      ...base,
      source: 'slurm',
      group: jobId === undefined ? undefined : groupName(`slurm-${jobId}`),
      rank: int(env, 'SLURM_PROCID'),
      worldSize: int(env, 'SLURM_NTASKS'),
      localRank: int(env, 'SLURM_LOCALID'),
      nodeRank: int(env, 'SLURM_NODEID'),
      restartAttempt: int(env, 'SLURM_RESTART_COUNT') ?? 0,
    };
  }
  const mpiRank = int(env, 'OMPI_COMM_WORLD_RANK') ?? int(env, 'PMI_RANK');
  if (mpiRank !== undefined) {
    return {
      ...base,
      source: 'mpi',
      group: undefined,
      rank: mpiRank,
      worldSize: int(env, 'OMPI_COMM_WORLD_SIZE') ?? int(env, 'PMI_SIZE'),
      localRank: int(env, 'OMPI_COMM_WORLD_LOCAL_RANK') ?? int(env, 'MPI_LOCALRANKID'),
      nodeRank: int(env, 'OMPI_COMM_WORLD_NODE_RANK'),
      restartAttempt: 0,
    };
  }
  return { ...base, source: 'none', group: undefined, rank: undefined, worldSize: undefined, localRank: undefined, nodeRank: undefined, restartAttempt: 0 };
}

/**
 * The run id of rank `rank` of a group: 8 characters of `[a-z0-9]` hashed
 * from (entity, project, group, rank), so a restarted process resumes its own
 * run without anyone passing ids around. Valid per SEMANTICS §11.
 */
export function groupRunId(entity: string, project: string, group: string, rank: number): string {
  const digest = createHash('sha256').update(`${entity}\u0000${project}\u0000${group}\u0000${rank}`).digest();
  let id = '';
  for (let i = 0; i < 8; i++) id += '0123456789abcdefghijklmnopqrstuvwxyz'[digest[i]! % 36];
  return id;
}
