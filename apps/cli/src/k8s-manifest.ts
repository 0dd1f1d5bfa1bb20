/** What `cohort k8s manifest` builds. */
export interface K8sManifestOptions {
  /** The Job (or JobSet) and Service name: a DNS-1035 label. */
  name: string;
  image: string;
  /** Total ranks (training processes). */
  ranks: number;
  /** Pods, one per node. @defaultValue `ranks` (one rank per pod) */
  nodes?: number;
  /** A JobSet (`jobset.x-k8s.io/v1alpha2`) instead of an Indexed Job. */
  jobset?: boolean;
  /** The training command. */
  command: readonly string[];
  /** The coordinator's URL the pods reach. @defaultValue `http://cohort:7712` */
  url?: string;
  /** The project runs are logged to (`COHORT_PROJECT`). */
  project?: string;
  /** Seconds the pod has between SIGTERM and SIGKILL. @defaultValue 30 */
  gracePeriodSeconds?: number;
  /** Seconds the preStop hook waits before SIGTERM (endpoints drain). @defaultValue 2 */
  preStopSeconds?: number;
  /** Per-index retries before the Job fails. @defaultValue 3 */
  backoffLimitPerIndex?: number;
}

/** Seconds the SDK's SIGTERM handler may spend flushing (its `sigtermFlushSeconds` default). */
export const SDK_FLUSH_SECONDS = 10;
/** The rendezvous port torchrun uses between pods when a pod runs several ranks. */
const RDZV_PORT = 29500;
const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A bad option of the manifest: the CLI prints it with the usage. */
export class ManifestOptionError extends Error {
  override name = 'ManifestOptionError';
}

const fieldEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });

/**
 * Builds the Kubernetes objects of a training job: an Indexed Job (or a
 * JobSet with one replicated Job) of `nodes` pods plus a headless Service
 * for their DNS names. Each pod gets `COHORT_URL`, its job's name and uid
 * (`COHORT_JOB_NAME`, `COHORT_JOB_UID`: the group is `<name>-<uid>`, so a
 * Job created again under the same name is a new group) and its rank wiring through the
 * downward API: with one rank per pod `COHORT_RANK` is the completion index;
 * with several, the command runs under `torchrun --nnodes --node-rank` and
 * torchrun sets `RANK`. `terminationGracePeriodSeconds` covers the preStop
 * wait plus the SDK's flush on SIGTERM.
 */
export function buildK8sManifest(o: K8sManifestOptions): Array<Record<string, unknown>> {
  if (!DNS_LABEL.test(o.name) || o.name.length > 52) {
    throw new ManifestOptionError(`--name: expected a DNS label of at most 52 characters (a-z, 0-9, -; starting with a letter), got ${JSON.stringify(o.name)}`);
  }
  if (o.image.trim() === '') throw new ManifestOptionError('--image: must not be empty');
  if (o.command.length === 0) throw new ManifestOptionError('the training command is missing: put it after `--`');
  const nodes = o.nodes ?? o.ranks;
  if (nodes > o.ranks || o.ranks % nodes !== 0) {
    throw new ManifestOptionError(`--nodes: expected a divisor of --ranks ${o.ranks} (each pod runs the same number of ranks), got ${nodes}`);
  }
  const perNode = o.ranks / nodes;
  const preStop = o.preStopSeconds ?? 2;
  const grace = o.gracePeriodSeconds ?? 30;
  if (grace < preStop + SDK_FLUSH_SECONDS + 1) {
    throw new ManifestOptionError(`--grace-period: expected at least ${preStop + SDK_FLUSH_SECONDS + 1} s (preStop ${preStop} s + the SDK's ${SDK_FLUSH_SECONDS} s flush + 1), got ${grace}`);
  }
  const jobset = o.jobset === true;
  const groupLabel = jobset ? 'jobset.sigs.k8s.io/jobset-name' : 'batch.kubernetes.io/job-name';
  // A Job deleted and created again under its name is a new job: its uid tells them apart (docs/distributed.md).
  const uidLabel = jobset ? 'jobset.sigs.k8s.io/jobset-uid' : 'batch.kubernetes.io/controller-uid';
  const env: Array<Record<string, unknown>> = [
    { name: 'COHORT_URL', value: o.url ?? 'http://cohort:7712' },
    ...(o.project !== undefined ? [{ name: 'COHORT_PROJECT', value: o.project }] : []),
    fieldEnv('COHORT_JOB_NAME', `metadata.labels['${groupLabel}']`),
    fieldEnv('COHORT_JOB_UID', `metadata.labels['${uidLabel}']`),
    fieldEnv('COHORT_POD_UID', 'metadata.uid'),
    fieldEnv('JOB_COMPLETION_INDEX', "metadata.annotations['batch.kubernetes.io/job-completion-index']"),
    fieldEnv('COHORT_NODE', 'spec.nodeName'),
    fieldEnv('POD_NAME', 'metadata.name'),
  ];
  if (jobset) {
    env.push(
      fieldEnv('JOBSET_NAME', "metadata.labels['jobset.sigs.k8s.io/jobset-name']"),
      fieldEnv('JOB_INDEX', "metadata.labels['jobset.sigs.k8s.io/job-index']"),
      fieldEnv('JOBSET_RESTART_ATTEMPT', "metadata.labels['jobset.sigs.k8s.io/restart-attempt']"),
    );
  } else {
    // A pod that replaces a failed one of the same index: its run resumes (and may rewind to its checkpoint).
    env.push(fieldEnv('COHORT_RESTART_ATTEMPT', "metadata.annotations['batch.kubernetes.io/job-index-failure-count']"));
  }
  let command: string[];
  if (perNode === 1) {
    env.push(
      fieldEnv('COHORT_RANK', "metadata.annotations['batch.kubernetes.io/job-completion-index']"),
      { name: 'COHORT_WORLD_SIZE', value: String(o.ranks) },
    );
    command = [...o.command];
  } else {
    // torchrun sets RANK, WORLD_SIZE, LOCAL_RANK, GROUP_RANK and (from --rdzv-id) TORCHELASTIC_RUN_ID for each rank.
    const master = jobset ? `${o.name}-workers-0-0.${o.name}` : `${o.name}-0.${o.name}`;
    command = [
      'torchrun',
      `--nnodes=${nodes}`,
      `--nproc-per-node=${perNode}`,
      '--node-rank=$(JOB_COMPLETION_INDEX)',
      '--rdzv-backend=static',
      '--rdzv-id=$(COHORT_JOB_NAME)',
      `--master-addr=${master}`,
      `--master-port=${RDZV_PORT}`,
      ...o.command,
    ];
  }
  const podSpec = {
    subdomain: o.name,
    restartPolicy: 'Never',
    terminationGracePeriodSeconds: grace,
    containers: [
      {
        name: 'train',
        image: o.image,
        command,
        env,
        ports: perNode > 1 ? [{ name: 'rdzv', containerPort: RDZV_PORT }] : undefined,
        lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', `sleep ${preStop}`] } } },
      },
    ],
  };
  const jobSpec = {
    completionMode: 'Indexed',
    completions: nodes,
    parallelism: nodes,
    backoffLimitPerIndex: o.backoffLimitPerIndex ?? 3,
    maxFailedIndexes: 0,
    template: { metadata: { labels: { 'app.kubernetes.io/name': o.name, 'app.kubernetes.io/part-of': 'cohort' } }, spec: podSpec },
  };
  const labels = { 'app.kubernetes.io/name': o.name, 'app.kubernetes.io/part-of': 'cohort' };
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: o.name, labels },
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: { [groupLabel]: o.name },
      ports: [{ name: 'rdzv', port: RDZV_PORT, targetPort: RDZV_PORT }],
    },
  };
  const workload = jobset
    ? {
        apiVersion: 'jobset.x-k8s.io/v1alpha2',
        kind: 'JobSet',
        metadata: { name: o.name, labels },
        spec: {
          network: { enableDNSHostnames: true, subdomain: o.name },
          failurePolicy: { maxRestarts: o.backoffLimitPerIndex ?? 3 },
          replicatedJobs: [{ name: 'workers', replicas: 1, template: { spec: jobSpec } }],
        },
      }
    : { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: o.name, labels }, spec: jobSpec };
  return [service, workload];
}
