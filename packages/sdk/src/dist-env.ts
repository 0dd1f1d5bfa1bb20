import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { MAX_CLAIM_LENGTH } from '@cohort/protocol';

export { groupRunId } from '@cohort/protocol';

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
  /**
   * Set when the launcher names the job by a key another job may share
   * (plain torchrun's run id `none`): `group` is then a base name and the
   * coordinator picks the group, an instance of it (docs/distributed.md,
   * "Which job a rank belongs to").
   */
  readonly claim: GroupClaim | undefined;
}

/** What the coordinator needs to pick the group of a rank whose job key is not unique. */
export interface GroupClaim {
  /** What every rank of the job shares (another job may share it too). */
  readonly key: string;
  /** What exactly the ranks of one launcher agent (one node) share, across its restarts. */
  readonly token: string;
  /** The node's place in the job (`GROUP_RANK`, a completion index, a host name). */
  readonly slot: string;
}

/** The process facts a token may use besides the environment. */
export interface ProcessFacts {
  readonly host: string;
  /** The parent's pid: the launcher agent that started this rank. */
  readonly ppid: number;
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

/** A key or token within the wire's bound: a longer one is replaced by its hash. */
function bounded(v: string): string {
  return v.length <= MAX_CLAIM_LENGTH ? v : `sha256:${createHash('sha256').update(v).digest('hex')}`;
}

function claim(key: string, token: string, slot: string): GroupClaim {
  return { key: bounded(key), token: bounded(token), slot: slot.slice(0, 128) };
}

/** `a1b2c3d4-...` → `a1b2c3d4`: enough of a Kubernetes uid to tell two jobs of one name apart. */
function shortUid(uid: string): string {
  return uid.replace(/[^a-zA-Z0-9]/g, '').slice(0, 8).toLowerCase();
}

/**
 * The group of a job whose environment names it uniquely, whatever launched
 * its ranks: a Kubernetes Job's (or JobSet's) uid passed as `COHORT_JOB_UID`
 * (`cohort k8s manifest` does) → `<COHORT_JOB_NAME or base>-<uid>`; a SLURM
 * job → `slurm-[<cluster>-]<job id>[.<step>]`.
 */
function uniqueGroup(env: Env, base: string | undefined): string | undefined {
  const uid = text(env, 'COHORT_JOB_UID');
  if (uid !== undefined) return groupName(`${text(env, 'COHORT_JOB_NAME') ?? base ?? 'job'}-${shortUid(uid)}`);
  const job = text(env, 'SLURM_JOB_ID');
  if (job === undefined) return undefined;
  const cluster = text(env, 'SLURM_CLUSTER_NAME');
  // Each `srun` of a batch script is a step of its own; the batch script's own step (4294967294) is not.
  const step = int(env, 'SLURM_STEP_ID');
  return groupName(`slurm-${cluster === undefined ? '' : `${cluster}-`}${job}${step !== undefined && step > 0 && step < 4294967290 ? `.${step}` : ''}`);
}

/**
 * The agent directory of torch elastic's per-rank error file
 * (`<log dir>/<run id>_<random>/attempt_<n>/<local rank>/error.json`): made
 * once per agent, so every local rank of one agent shares it across restarts
 * and no other agent does.
 */
function torchAgentDir(errorFile: string | undefined): string | undefined {
  return errorFile?.match(/^(.+)\/attempt_\d+\/\d+\/error\.json$/)?.[1];
}

function isLoopback(addr: string): boolean {
  return addr === 'localhost' || addr === '::1' || addr.startsWith('127.');
}

/**
 * Reads a process's rank and group from the environment of its launcher,
 * first match wins (docs/distributed.md has the table):
 *
 * 1. Cohort's own `COHORT_RANK`, `COHORT_WORLD_SIZE`, `COHORT_LOCAL_RANK`, `COHORT_NODE`, `COHORT_RESTART_ATTEMPT` (set by `cohort k8s manifest`);
 * 2. torchrun / torch elastic: `RANK`, `WORLD_SIZE`, `LOCAL_RANK`, `GROUP_RANK`, `LOCAL_WORLD_SIZE`, `TORCHELASTIC_RUN_ID` (group), `TORCHELASTIC_RESTART_COUNT`;
 * 3. Kubeflow PyTorchJob: `PET_NNODES`/`PET_NODE_RANK`/`PET_NPROC_PER_NODE` with `RANK`, `WORLD_SIZE`; group from the pod name (`<job>-worker-<i>`);
 * 4. JobSet (labels passed as env): `JOBSET_NAME`, `JOBSET_UID`, `JOB_INDEX`, `JOB_COMPLETION_INDEX`, `PODS_PER_JOB`, `JOBSET_RESTART_ATTEMPT`;
 * 5. Kubernetes Indexed Job: `JOB_COMPLETION_INDEX`, `JOB_NAME` (else from the pod name);
 * 6. Ray Train (its Torch backend), or any plain `RANK`: `RANK`, `WORLD_SIZE`, `LOCAL_RANK`, `NODE_RANK` with `RAY_TRAIN_RUN_ID` or `RAY_JOB_ID` (group);
 * 7. SLURM: `SLURM_PROCID`, `SLURM_NTASKS`, `SLURM_LOCALID`, `SLURM_NODEID`, `SLURMD_NODENAME`, `SLURM_JOB_ID` (group `slurm-<id>`), `SLURM_RESTART_COUNT`;
 * 8. MPI: `OMPI_COMM_WORLD_RANK`/`_SIZE`/`_LOCAL_RANK`, `PMIX_NAMESPACE`; `PMI_RANK`/`PMI_SIZE` (MPICH, Intel MPI);
 *
 * A plain `RANK` wins over SLURM's and MPI's variables: it is PyTorch's own, set on purpose.
 * A unique job id (`COHORT_JOB_UID`, a SLURM job) names the group whatever
 * the launcher; otherwise a launcher whose job key another job may share
 * gets a {@link GroupClaim} for the coordinator to arbitrate.
 */
export function detectDistributedEnv(env: Env = process.env, proc: ProcessFacts = { host: hostname(), ppid: process.ppid }): DistributedEnv {
  const nodeName = text(env, 'COHORT_NODE') ?? text(env, 'SLURMD_NODENAME') ?? text(env, 'NODE_NAME');
  const pod = text(env, 'COHORT_POD_UID') ?? text(env, 'HOSTNAME') ?? proc.host;
  const base = { node: nodeName } as const;
  /** The unique group if the environment has one, else `base` with a claim on it. */
  const arbitrated = (name: string | undefined, key: string, token: string, slot: string) => {
    const unique = uniqueGroup(env, name);
    if (unique !== undefined || name === undefined) return { group: unique, claim: undefined };
    return { group: groupName(name), claim: claim(key, token, slot) };
  };
  if (int(env, 'COHORT_RANK') !== undefined) {
    const job = text(env, 'COHORT_JOB_NAME');
    return {
      ...base,
      source: 'cohort',
      // Without a uid (a cluster without the label), a claim on the Job's name; without a name, COHORT_RUN_GROUP, which init reads.
      ...arbitrated(job, `k8s-job:${job}`, pod, text(env, 'COHORT_NODE_RANK') ?? text(env, 'JOB_COMPLETION_INDEX') ?? pod),
      rank: int(env, 'COHORT_RANK'),
      worldSize: int(env, 'COHORT_WORLD_SIZE'),
      localRank: int(env, 'COHORT_LOCAL_RANK'),
      nodeRank: int(env, 'COHORT_NODE_RANK'),
      restartAttempt: int(env, 'COHORT_RESTART_ATTEMPT') ?? int(env, 'JOBSET_RESTART_ATTEMPT') ?? 0,
    };
  }
  const rank = int(env, 'RANK');
  const runId = text(env, 'TORCHELASTIC_RUN_ID');
  if (rank !== undefined && runId !== undefined) {
    // Static rendezvous (the agent's store): the master's address tells concurrent jobs apart, a loopback one only on
    // this host; its node count is fixed, so a later job of another size never takes a free slot of an earlier one.
    const addr = text(env, 'MASTER_ADDR');
    const port = text(env, 'MASTER_PORT');
    const master =
      text(env, 'TORCHELASTIC_USE_AGENT_STORE') === 'True' && addr !== undefined && port !== undefined
        ? `@${isLoopback(addr) ? `${proc.host}/` : ''}${addr}:${port}/${text(env, 'GROUP_WORLD_SIZE') ?? '?'}`
        : '';
    const agent = torchAgentDir(text(env, 'TORCHELASTIC_ERROR_FILE'));
    return {
      ...base,
      source: 'torchelastic',
      ...arbitrated(runId === 'none' ? 'torchrun' : runId, `torchelastic:${runId}${master}`, `${proc.host}:${agent ?? `pid ${proc.ppid}`}`, text(env, 'GROUP_RANK') ?? '0'),
      rank,
      worldSize: int(env, 'WORLD_SIZE'),
      localRank: int(env, 'LOCAL_RANK'),
      nodeRank: int(env, 'GROUP_RANK'),
      restartAttempt: int(env, 'TORCHELASTIC_RESTART_COUNT') ?? 0,
    };
  }
  if (rank !== undefined && (text(env, 'PET_NNODES') !== undefined || text(env, 'PET_NODE_RANK') !== undefined)) {
    const perNode = int(env, 'PET_NPROC_PER_NODE');
    const job = kubeflowJobName(text(env, 'HOSTNAME'));
    return {
      ...base,
      source: 'kubeflow',
      ...arbitrated(job, `kubeflow:${job}`, pod, text(env, 'PET_NODE_RANK') ?? text(env, 'HOSTNAME') ?? proc.host),
      rank,
      worldSize: int(env, 'WORLD_SIZE') ?? (perNode !== undefined && int(env, 'PET_NNODES') !== undefined ? perNode * int(env, 'PET_NNODES')! : undefined),
      localRank: int(env, 'LOCAL_RANK') ?? (perNode !== undefined ? rank % perNode : undefined),
      nodeRank: int(env, 'PET_NODE_RANK'),
      restartAttempt: int(env, 'TORCHELASTIC_RESTART_COUNT') ?? 0,
    };
  }
  const completion = int(env, 'JOB_COMPLETION_INDEX');
  const jobSet = text(env, 'JOBSET_NAME');
  if (jobSet !== undefined) {
    const perJob = int(env, 'PODS_PER_JOB') ?? 1;
    const jobIndex = int(env, 'JOB_INDEX') ?? 0;
    const uid = text(env, 'JOBSET_UID');
    return {
      ...base,
      source: 'jobset',
      ...(uid !== undefined
        ? { group: groupName(`${jobSet}-${shortUid(uid)}`), claim: undefined }
        : arbitrated(jobSet, `jobset:${jobSet}`, pod, `${jobIndex}.${completion ?? 0}`)),
      rank: rank ?? jobIndex * perJob + (completion ?? 0),
      worldSize: int(env, 'WORLD_SIZE') ?? int(env, 'JOBSET_GLOBAL_REPLICAS'),
      localRank: int(env, 'LOCAL_RANK'),
      nodeRank: jobIndex,
      restartAttempt: int(env, 'JOBSET_RESTART_ATTEMPT') ?? 0,
    };
  }
  if (completion !== undefined) {
    const job = text(env, 'JOB_NAME') ?? indexedJobName(text(env, 'HOSTNAME'), completion);
    return {
      ...base,
      source: 'indexed-job',
      ...arbitrated(job, `indexed-job:${job}`, pod, String(completion)),
      rank: rank ?? completion,
      worldSize: int(env, 'WORLD_SIZE') ?? int(env, 'JOB_COMPLETIONS'),
      localRank: int(env, 'LOCAL_RANK'),
      nodeRank: completion,
      restartAttempt: 0,
    };
  }
  const trainRun = text(env, 'RAY_TRAIN_RUN_ID');
  const rayJob = text(env, 'RAY_JOB_ID');
  if (rank !== undefined) {
    const nodeRank = int(env, 'NODE_RANK') ?? int(env, 'GROUP_RANK');
    return {
      ...base,
      source: trainRun !== undefined || rayJob !== undefined ? 'ray' : 'torchelastic',
      // A Ray Train run id is unique; a Ray job id only within one Ray cluster's life.
      ...(trainRun !== undefined
        ? { group: groupName(trainRun), claim: undefined }
        : rayJob !== undefined
          ? arbitrated(rayJob, `ray:${rayJob}`, proc.host, nodeRank === undefined ? proc.host : String(nodeRank))
          : { group: uniqueGroup(env, undefined), claim: undefined }),
      rank,
      worldSize: int(env, 'WORLD_SIZE'),
      localRank: int(env, 'LOCAL_RANK'),
      nodeRank,
      restartAttempt: int(env, 'TORCHELASTIC_RESTART_COUNT') ?? 0,
    };
  }
  if (int(env, 'SLURM_PROCID') !== undefined) {
    return {
      ...base,
      source: 'slurm',
      group: uniqueGroup(env, undefined),
      claim: undefined,
      rank: int(env, 'SLURM_PROCID'),
      worldSize: int(env, 'SLURM_NTASKS'),
      localRank: int(env, 'SLURM_LOCALID'),
      nodeRank: int(env, 'SLURM_NODEID'),
      restartAttempt: int(env, 'SLURM_RESTART_COUNT') ?? 0,
    };
  }
  const mpiRank = int(env, 'OMPI_COMM_WORLD_RANK') ?? int(env, 'PMI_RANK');
  if (mpiRank !== undefined) {
    // Open MPI's per-job namespace (PMIx; ORTE's job id): the ranks on one node are children of one daemon.
    const namespace = text(env, 'PMIX_NAMESPACE') ?? text(env, 'OMPI_MCA_ess_base_jobid');
    return {
      ...base,
      source: 'mpi',
      ...(namespace !== undefined ? arbitrated('mpi', `mpi:${namespace}`, `${proc.host}:pid ${proc.ppid}`, proc.host) : { group: uniqueGroup(env, undefined), claim: undefined }),
      rank: mpiRank,
      worldSize: int(env, 'OMPI_COMM_WORLD_SIZE') ?? int(env, 'PMI_SIZE'),
      localRank: int(env, 'OMPI_COMM_WORLD_LOCAL_RANK') ?? int(env, 'MPI_LOCALRANKID'),
      nodeRank: undefined,
      restartAttempt: 0,
    };
  }
  return { ...base, source: 'none', group: undefined, claim: undefined, rank: undefined, worldSize: undefined, localRank: undefined, nodeRank: undefined, restartAttempt: 0 };
}
