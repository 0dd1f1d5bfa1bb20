import { describe, expect, it } from 'vitest';
import { detectDistributedEnv, groupRunId } from './dist-env.js';
import { resolveInitOptions } from './init-options.js';

describe('detectDistributedEnv', () => {
  it.each([
    [
      'torchrun / torch elastic',
      { RANK: '5', WORLD_SIZE: '8', LOCAL_RANK: '1', GROUP_RANK: '2', LOCAL_WORLD_SIZE: '4', TORCHELASTIC_RUN_ID: 'job-42', TORCHELASTIC_RESTART_COUNT: '2' },
      { source: 'torchelastic', group: 'job-42', rank: 5, worldSize: 8, localRank: 1, nodeRank: 2, restartAttempt: 2 },
    ],
    [
      'Kubeflow PyTorchJob',
      { RANK: '3', WORLD_SIZE: '4', PET_NNODES: '2', PET_NODE_RANK: '1', PET_NPROC_PER_NODE: '2', HOSTNAME: 'bert-ft-worker-0' },
      { source: 'kubeflow', group: 'bert-ft', rank: 3, worldSize: 4, localRank: 1, nodeRank: 1, restartAttempt: 0 },
    ],
    [
      'a Kubernetes Indexed Job',
      { JOB_COMPLETION_INDEX: '6', HOSTNAME: 'train-6-x7k2q' },
      { source: 'indexed-job', group: 'train', rank: 6, worldSize: undefined, nodeRank: 6 },
    ],
    ['an Indexed Job with its name given', { JOB_COMPLETION_INDEX: '1', JOB_NAME: 'sweep-7', WORLD_SIZE: '4' }, { source: 'indexed-job', group: 'sweep-7', rank: 1, worldSize: 4 }],
    [
      'JobSet labels passed as env',
      { JOBSET_NAME: 'llm', JOB_INDEX: '2', JOB_COMPLETION_INDEX: '1', PODS_PER_JOB: '4', JOBSET_RESTART_ATTEMPT: '3', JOBSET_GLOBAL_REPLICAS: '16' },
      { source: 'jobset', group: 'llm', rank: 9, worldSize: 16, nodeRank: 2, restartAttempt: 3 },
    ],
    [
      'SLURM',
      { SLURM_PROCID: '7', SLURM_NTASKS: '16', SLURM_LOCALID: '3', SLURM_JOB_ID: '991', SLURM_NODEID: '1', SLURMD_NODENAME: 'gpu-a12' },
      { source: 'slurm', group: 'slurm-991', rank: 7, worldSize: 16, localRank: 3, nodeRank: 1, node: 'gpu-a12' },
    ],
    [
      'Open MPI',
      { OMPI_COMM_WORLD_RANK: '2', OMPI_COMM_WORLD_SIZE: '4', OMPI_COMM_WORLD_LOCAL_RANK: '0' },
      { source: 'mpi', group: undefined, rank: 2, worldSize: 4, localRank: 0 },
    ],
    ['MPICH / Intel MPI (PMI)', { PMI_RANK: '1', PMI_SIZE: '2' }, { source: 'mpi', rank: 1, worldSize: 2 }],
    ['Ray Train', { RANK: '1', WORLD_SIZE: '2', LOCAL_RANK: '1', NODE_RANK: '0', RAY_JOB_ID: '02000000' }, { source: 'ray', group: '02000000', rank: 1, nodeRank: 0 }],
    ['cohort k8s manifest', { COHORT_RANK: '3', COHORT_WORLD_SIZE: '4', COHORT_NODE: 'node-a', JOB_COMPLETION_INDEX: '3' }, { source: 'cohort', rank: 3, worldSize: 4, node: 'node-a' }],
    ['nothing', {}, { source: 'none', rank: undefined, group: undefined, restartAttempt: 0 }],
  ])('reads %s', (_name, env, want) => {
    expect(detectDistributedEnv(env)).toMatchObject(want);
  });

  it('ignores values that are not non-negative integers', () => {
    expect(detectDistributedEnv({ RANK: 'x', SLURM_PROCID: '-1' })).toMatchObject({ source: 'none' });
  });
});

describe('which job a rank belongs to (docs/distributed.md)', () => {
  const proc = { host: 'gpu-1', ppid: 4242 };
  const detect = (env: Record<string, string>, p = proc) => detectDistributedEnv(env, p);
  /** What torch 1.13's torchrun gives a worker (static rendezvous), seen on this machine. */
  const torchrun = (localRank: number, o: { groupRank?: number; nproc?: number; restart?: number; agentDir?: string; port?: string } = {}) => {
    const nproc = o.nproc ?? 4;
    const groupRank = o.groupRank ?? 0;
    return {
      RANK: String(groupRank * nproc + localRank),
      LOCAL_RANK: String(localRank),
      GROUP_RANK: String(groupRank),
      WORLD_SIZE: String(nproc * 2),
      GROUP_WORLD_SIZE: '2',
      MASTER_ADDR: '127.0.0.1',
      MASTER_PORT: o.port ?? '29500',
      TORCHELASTIC_RUN_ID: 'none',
      TORCHELASTIC_RESTART_COUNT: String(o.restart ?? 0),
      TORCHELASTIC_USE_AGENT_STORE: 'True',
      TORCHELASTIC_ERROR_FILE: `${o.agentDir ?? '/tmp/torchelastic_av8c6gy4/none_o6q8reb9'}/attempt_${o.restart ?? 0}/${localRank}/error.json`,
    };
  };

  it('gives plain torchrun (run id "none") a claim: the job key, the agent as token, GROUP_RANK as slot', () => {
    expect(detect(torchrun(2))).toMatchObject({
      source: 'torchelastic',
      group: 'torchrun',
      claim: { key: 'torchelastic:none@gpu-1/127.0.0.1:29500/2', token: 'gpu-1:/tmp/torchelastic_av8c6gy4/none_o6q8reb9', slot: '0' },
    });
    // Every local rank of the agent, and its restarts, hold the same token; another agent (node or job) another.
    expect(detect(torchrun(3, { restart: 1 })).claim).toEqual(detect(torchrun(0)).claim);
    const second = detect(torchrun(0, { groupRank: 1, agentDir: '/tmp/torchelastic_q1w2e3r4/none_t5y6u7i8' })).claim!;
    expect(second).toMatchObject({ key: 'torchelastic:none@gpu-1/127.0.0.1:29500/2', slot: '1' });
    expect(second.token).not.toBe(detect(torchrun(0)).claim!.token);
    // A master on another host names the job across hosts; a loopback one only on this host.
    expect(detect({ ...torchrun(0), MASTER_ADDR: 'node-a' }).claim!.key).toBe('torchelastic:none@node-a:29500/2');
    // A later job of another node count never joins an earlier one through a slot that job did not have.
    expect(detect({ ...torchrun(0), GROUP_WORLD_SIZE: '1' }).claim!.key).toBe('torchelastic:none@gpu-1/127.0.0.1:29500/1');
    expect(detect(torchrun(0), { host: 'gpu-2', ppid: 1 }).claim!.key).not.toBe(detect(torchrun(0)).claim!.key);
  });

  it('keys c10d rendezvous by its run id alone (its master port changes each round), and falls back to the parent pid', () => {
    const env = { ...torchrun(1), TORCHELASTIC_RUN_ID: 'exp-1', TORCHELASTIC_USE_AGENT_STORE: 'False', TORCHELASTIC_ERROR_FILE: '' };
    expect(detect(env)).toMatchObject({ group: 'exp-1', claim: { key: 'torchelastic:exp-1', token: 'gpu-1:pid 4242', slot: '0' } });
    expect(detect({ ...env, MASTER_PORT: '41234' }).claim).toEqual(detect(env).claim);
  });

  it('names a job with a unique id outright, with no claim: a Kubernetes uid, a SLURM job (and step), a Ray Train run', () => {
    const uid = 'a1b2c3d4-0000-4000-8000-000000000001';
    expect(detect({ ...torchrun(0), COHORT_JOB_UID: uid, COHORT_JOB_NAME: 'llm' })).toMatchObject({ group: 'llm-a1b2c3d4', claim: undefined });
    expect(detect({ ...torchrun(0), SLURM_JOB_ID: '991', SLURM_STEP_ID: '0', SLURM_PROCID: '0' })).toMatchObject({ group: 'slurm-991', claim: undefined });
    expect(detect({ SLURM_PROCID: '1', SLURM_JOB_ID: '991', SLURM_STEP_ID: '2', SLURM_CLUSTER_NAME: 'east' })).toMatchObject({ group: 'slurm-east-991.2', claim: undefined });
    // The batch script's own step is the job's.
    expect(detect({ SLURM_PROCID: '0', SLURM_JOB_ID: '991', SLURM_STEP_ID: '4294967294' }).group).toBe('slurm-991');
    expect(detect({ RANK: '0', RAY_TRAIN_RUN_ID: '5f2a', RAY_JOB_ID: '02000000' })).toMatchObject({ source: 'ray', group: '5f2a', claim: undefined });
  });

  it('tells a Kubernetes Job created again under its name from the first by its uid (Indexed Job, JobSet, cohort k8s manifest)', () => {
    const pod = (uid: string) => ({ JOB_COMPLETION_INDEX: '1', JOB_NAME: 'train', COHORT_JOB_UID: uid });
    const first = detect(pod('0f0e0d0c-1111-4111-8111-111111111111'));
    const again = detect(pod('9a8b7c6d-2222-4222-8222-222222222222'));
    expect(first).toMatchObject({ source: 'indexed-job', group: 'train-0f0e0d0c', claim: undefined });
    expect(again.group).toBe('train-9a8b7c6d');
    const jobset = (uid: string) => detect({ JOBSET_NAME: 'llm', JOBSET_UID: uid, JOB_INDEX: '0', JOB_COMPLETION_INDEX: '2' });
    expect(jobset('11111111-aaaa').group).toBe('llm-11111111');
    expect(jobset('22222222-bbbb').group).toBe('llm-22222222');
    expect(detect({ COHORT_RANK: '3', COHORT_JOB_NAME: 'mnist', COHORT_JOB_UID: '33333333-cccc' })).toMatchObject({ source: 'cohort', group: 'mnist-33333333', claim: undefined });
    // A cluster without the uid label gives an empty value: a claim on the Job's name instead.
    expect(detect({ COHORT_RANK: '3', COHORT_JOB_NAME: 'mnist', COHORT_JOB_UID: '', COHORT_POD_UID: 'p3', JOB_COMPLETION_INDEX: '3' })).toMatchObject({
      group: 'mnist',
      claim: { key: 'k8s-job:mnist', token: 'p3', slot: '3' },
    });
  });

  it('claims for Kubernetes jobs without a uid: the pod (its uid, else its name) as token, its index as slot', () => {
    expect(detect({ JOB_COMPLETION_INDEX: '6', HOSTNAME: 'train-6-x7k2q' })).toMatchObject({
      group: 'train',
      claim: { key: 'indexed-job:train', token: 'train-6-x7k2q', slot: '6' },
    });
    expect(detect({ JOB_COMPLETION_INDEX: '6', HOSTNAME: 'train-6-x7k2q', COHORT_POD_UID: 'p-uid' }).claim!.token).toBe('p-uid');
    expect(detect({ RANK: '3', PET_NODE_RANK: '1', PET_NNODES: '2', HOSTNAME: 'bert-ft-worker-0' })).toMatchObject({
      source: 'kubeflow',
      group: 'bert-ft',
      claim: { key: 'kubeflow:bert-ft', token: 'bert-ft-worker-0', slot: '1' },
    });
    expect(detect({ JOBSET_NAME: 'llm', JOB_INDEX: '2', JOB_COMPLETION_INDEX: '1', HOSTNAME: 'llm-workers-2-1-abcde' })).toMatchObject({
      group: 'llm',
      claim: { key: 'jobset:llm', token: 'llm-workers-2-1-abcde', slot: '2.1' },
    });
  });

  it('claims for Ray jobs and Open MPI jobs; MPICH names no job (pass `group`)', () => {
    expect(detect({ RANK: '1', NODE_RANK: '0', RAY_JOB_ID: '02000000' })).toMatchObject({ group: '02000000', claim: { key: 'ray:02000000', token: 'gpu-1', slot: '0' } });
    expect(detect({ OMPI_COMM_WORLD_RANK: '2', OMPI_COMM_WORLD_SIZE: '4', PMIX_NAMESPACE: 'prterun-gpu-1-811@1' })).toMatchObject({
      source: 'mpi',
      group: 'mpi',
      nodeRank: undefined,
      claim: { key: 'mpi:prterun-gpu-1-811@1', token: 'gpu-1:pid 4242', slot: 'gpu-1' },
    });
    expect(detect({ PMI_RANK: '1', PMI_SIZE: '2' })).toMatchObject({ group: undefined, claim: undefined });
  });

  it('bounds a long key or token by hashing it', () => {
    const long = detect(torchrun(0, { agentDir: `/tmp/${'d'.repeat(600)}` })).claim!;
    expect(long.token).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('ranked runs in init options', () => {
  const env = { RANK: '2', WORLD_SIZE: '4', LOCAL_RANK: '0', SLURM_JOB_ID: '9', SLURM_PROCID: '2', TORCHELASTIC_RUN_ID: 'job-9', TORCHELASTIC_RESTART_COUNT: '1' };

  it('fills group, rank, world size and restart attempt, and derives a stable run id that resumes', () => {
    const o = resolveInitOptions({ project: 'p' }, env);
    expect(o).toMatchObject({ group: 'slurm-9', rank: 2, worldSize: 4, localRank: 0, restartAttempt: 1, resume: 'allow', distributedSource: 'torchelastic' });
    expect(o.groupClaim).toEqual({ groupKey: '', groupToken: '', groupSlot: '' });
    expect(o.id).toBe(groupRunId('', 'p', 'slurm-9', 2));
    expect(o.id).toMatch(/^[a-z0-9]{8}$/);
    expect(resolveInitOptions({ project: 'p' }, env).id).toBe(o.id);
    expect(resolveInitOptions({ project: 'p' }, { ...env, RANK: '3' }).id).not.toBe(o.id);
  });

  it('sends a claim online and leaves the run id to the coordinator; offline derives the group from key and token', () => {
    const plain = { RANK: '1', WORLD_SIZE: '4', GROUP_RANK: '0', TORCHELASTIC_RUN_ID: 'none', TORCHELASTIC_ERROR_FILE: '/tmp/te_1/none_a/attempt_0/1/error.json' };
    const online = resolveInitOptions({ project: 'p' }, plain);
    expect(online).toMatchObject({ group: 'torchrun', id: undefined, resume: 'allow' });
    expect(online.groupClaim).toMatchObject({ groupKey: 'torchelastic:none', groupSlot: '0', groupToken: expect.stringMatching(/:\/tmp\/te_1\/none_a$/) });
    const offline = resolveInitOptions({ project: 'p', mode: 'offline' }, plain);
    expect(offline.group).toMatch(/^torchrun-[a-z0-9]{6}$/);
    expect(offline.groupClaim.groupKey).toBe('');
    expect(offline.id).toBe(groupRunId('', 'p', offline.group, 1));
    // Another agent (another job) gets another group offline; a restart of this one the same.
    expect(resolveInitOptions({ project: 'p', mode: 'offline' }, { ...plain, TORCHELASTIC_ERROR_FILE: '/tmp/te_2/none_b/attempt_0/1/error.json' }).group).not.toBe(offline.group);
    expect(resolveInitOptions({ project: 'p', mode: 'offline' }, { ...plain, TORCHELASTIC_ERROR_FILE: '/tmp/te_1/none_a/attempt_1/1/error.json' }).group).toBe(offline.group);
    // A group named outright (option or COHORT_RUN_GROUP), or an explicit id, means no claim.
    for (const o of [resolveInitOptions({ project: 'p', group: 'g' }, plain), resolveInitOptions({ project: 'p' }, { ...plain, COHORT_RUN_GROUP: 'g' })]) {
      expect(o).toMatchObject({ group: 'g', id: groupRunId('', 'p', 'g', 1), groupClaim: { groupKey: '' } });
    }
    expect(resolveInitOptions({ project: 'p', id: 'mine' }, plain)).toMatchObject({ id: 'mine', group: 'torchrun', groupClaim: { groupKey: '' } });
  });

  it('lets explicit options win', () => {
    const o = resolveInitOptions({ project: 'p', id: 'mine', group: 'g', rank: 0, worldSize: 2, resume: 'never', restartAttempt: 0, node: 'n1' }, env);
    expect(o).toMatchObject({ id: 'mine', group: 'g', rank: 0, worldSize: 2, resume: 'never', restartAttempt: 0, node: 'n1' });
  });

  it('only the primary decides the finish state in shared mode, unless told', () => {
    const shared = (settings: Record<string, unknown>) => resolveInitOptions({ mode: 'shared', id: 'r1', settings }, {}).settings.updateFinishState;
    expect(shared({ primary: true })).toBe(true);
    expect(shared({})).toBe(false);
    expect(shared({ updateFinishState: true })).toBe(true);
    expect(resolveInitOptions({}, {}).settings.updateFinishState).toBe(true);
  });

  it('names a bad distributed setting', () => {
    expect(() => resolveInitOptions({ settings: { systemMetricsSeconds: -1 } }, {})).toThrow(/settings\.systemMetricsSeconds/);
    expect(() => resolveInitOptions({ settings: { preemptionNotices: { aws: 'not a url' } } }, {})).toThrow(/settings\.preemptionNotices\.aws/);
  });
});
