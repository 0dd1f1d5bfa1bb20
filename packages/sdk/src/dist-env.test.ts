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

describe('ranked runs in init options', () => {
  const env = { RANK: '2', WORLD_SIZE: '4', LOCAL_RANK: '0', TORCHELASTIC_RUN_ID: 'job-9', TORCHELASTIC_RESTART_COUNT: '1' };

  it('fills group, rank, world size and restart attempt, and derives a stable run id that resumes', () => {
    const o = resolveInitOptions({ project: 'p' }, env);
    expect(o).toMatchObject({ group: 'job-9', rank: 2, worldSize: 4, localRank: 0, restartAttempt: 1, resume: 'allow', distributedSource: 'torchelastic' });
    expect(o.id).toBe(groupRunId('', 'p', 'job-9', 2));
    expect(o.id).toMatch(/^[a-z0-9]{8}$/);
    expect(resolveInitOptions({ project: 'p' }, env).id).toBe(o.id);
    expect(resolveInitOptions({ project: 'p' }, { ...env, RANK: '3' }).id).not.toBe(o.id);
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
