import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Service } from 'kubernetes-models/v1/Service';
import { runCli } from '../src/index.js';
import { toYaml } from '../src/yaml-text.js';
import { testContext } from './helpers.js';

// Parsed YAML is untyped; the schema validation below is what checks it.
type Obj = Record<string, any>;

async function manifest(args: string[]): Promise<Obj[]> {
  const ctx = testContext();
  const code = await runCli(['k8s', 'manifest', ...args], ctx);
  expect(ctx.err()).toBe('');
  expect(code).toBe(0);
  const docs = parseAllDocuments(ctx.out());
  for (const d of docs) expect(d.errors).toEqual([]);
  return docs.map((d) => d.toJS() as Obj);
}

const envOf = (container: Obj) => Object.fromEntries((container['env'] as Obj[]).map((e) => [e['name'], e['value'] ?? e['valueFrom']['fieldRef']['fieldPath']]));

describe('cohort k8s manifest', () => {
  it('prints an Indexed Job and a headless Service that pass the Kubernetes schemas, one rank per pod', async () => {
    const [svc, job] = await manifest(['--name', 'mnist', '--image', 'ghcr.io/acme/train:1', '--ranks', '4', '--project', 'mnist', '--', 'python', 'train.py', '--lr', '0.1']);
    // kubernetes-models validates against the API's JSON schemas and throws naming the field.
    new Service(svc as ConstructorParameters<typeof Service>[0]).validate();
    new Job(job as ConstructorParameters<typeof Job>[0]).validate();
    expect(svc).toMatchObject({ kind: 'Service', spec: { clusterIP: 'None', selector: { 'batch.kubernetes.io/job-name': 'mnist' } } });
    expect(job!['spec']).toMatchObject({ completionMode: 'Indexed', completions: 4, parallelism: 4 });
    const pod = job!['spec']['template']['spec'] as Obj;
    expect(pod).toMatchObject({ subdomain: 'mnist', restartPolicy: 'Never', terminationGracePeriodSeconds: 30 });
    const c = pod['containers'][0] as Obj;
    expect(c['command']).toEqual(['python', 'train.py', '--lr', '0.1']);
    expect(c['lifecycle']).toEqual({ preStop: { exec: { command: ['/bin/sh', '-c', 'sleep 2'] } } });
    expect(envOf(c)).toMatchObject({
      COHORT_URL: 'http://cohort:7712',
      COHORT_PROJECT: 'mnist',
      COHORT_JOB_NAME: "metadata.labels['batch.kubernetes.io/job-name']",
      COHORT_JOB_UID: "metadata.labels['batch.kubernetes.io/controller-uid']",
      COHORT_POD_UID: 'metadata.uid',
      COHORT_RANK: "metadata.annotations['batch.kubernetes.io/job-completion-index']",
      COHORT_WORLD_SIZE: '4',
      COHORT_NODE: 'spec.nodeName',
      COHORT_RESTART_ATTEMPT: "metadata.annotations['batch.kubernetes.io/job-index-failure-count']",
    });
  });

  it('runs several ranks per pod under torchrun', async () => {
    const [, job] = await manifest(['--name', 'llm', '--image', 'img', '--ranks', '16', '--nodes', '2', '--grace-period', '45', '--', 'python', 'train.py']);
    new Job(job as ConstructorParameters<typeof Job>[0]).validate();
    const c = job!['spec']['template']['spec']['containers'][0] as Obj;
    expect(job!['spec']['completions']).toBe(2);
    expect(job!['spec']['template']['spec']['terminationGracePeriodSeconds']).toBe(45);
    expect(c['command']).toEqual([
      'torchrun',
      '--nnodes=2',
      '--nproc-per-node=8',
      '--node-rank=$(JOB_COMPLETION_INDEX)',
      '--rdzv-backend=static',
      '--rdzv-id=$(COHORT_JOB_NAME)',
      '--master-addr=llm-0.llm',
      '--master-port=29500',
      'python',
      'train.py',
    ]);
    expect(envOf(c)['COHORT_RANK']).toBeUndefined();
  });

  it('prints a JobSet whose Job template passes the batch/v1 schema', async () => {
    const [svc, js] = await manifest(['--name', 'big', '--image', 'img', '--ranks', '4', '--jobset', '--', 'python', 'train.py']);
    new Service(svc as ConstructorParameters<typeof Service>[0]).validate();
    expect(js).toMatchObject({ apiVersion: 'jobset.x-k8s.io/v1alpha2', kind: 'JobSet', metadata: { name: 'big' } });
    const rj = js!['spec']['replicatedJobs'][0] as Obj;
    expect(rj).toMatchObject({ name: 'workers', replicas: 1 });
    // A JobSet's replicated job template is a batch/v1 JobTemplateSpec: validate it as a Job.
    new Job({ metadata: { name: 'big-workers-0' }, spec: rj['template']['spec'] }).validate();
    expect(svc!['spec']['selector']).toEqual({ 'jobset.sigs.k8s.io/jobset-name': 'big' });
    expect(envOf(rj['template']['spec']['template']['spec']['containers'][0])).toMatchObject({
      COHORT_JOB_NAME: "metadata.labels['jobset.sigs.k8s.io/jobset-name']",
      COHORT_JOB_UID: "metadata.labels['jobset.sigs.k8s.io/jobset-uid']",
      JOBSET_RESTART_ATTEMPT: "metadata.labels['jobset.sigs.k8s.io/restart-attempt']",
      JOB_INDEX: "metadata.labels['jobset.sigs.k8s.io/job-index']",
    });
  });

  it('names a bad flag, exit 2', async () => {
    const cases: Array<[string[], string]> = [
      [['--name', 'Bad_Name', '--image', 'i', '--ranks', '2', '--', 'x'], '--name: expected a DNS label'],
      [['--name', 'a', '--image', 'i', '--ranks', '6', '--nodes', '4', '--', 'x'], '--nodes: expected a divisor of --ranks 6'],
      [['--name', 'a', '--image', 'i', '--ranks', '2'], 'the training command is missing'],
      [['--name', 'a', '--image', 'i', '--ranks', '2', '--grace-period', '5', '--', 'x'], '--grace-period: expected at least 13 s'],
      [['--name', 'a', '--image', 'i', '--ranks', 'two', '--', 'x'], '--ranks: expected an integer'],
    ];
    for (const [args, message] of cases) {
      const ctx = testContext();
      expect(await runCli(['k8s', 'manifest', ...args], ctx)).toBe(2);
      expect(ctx.err()).toContain(message);
    }
  });

  it('writes YAML that reads back as the same data, strings never retyped', () => {
    const data = { a: ['yes', 'no', '1', 1, true, null, { b: 'x: y', c: [] }], 'weird key': { d: '#not a comment' }, e: {} };
    expect(parseAllDocuments(toYaml(data))[0]!.toJS()).toEqual(data);
  });
});
