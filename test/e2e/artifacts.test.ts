import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type Coordinator } from '@cohort/coordinator';
import { Api, Artifact, CohortError, init, type Run } from '@cohort/sdk';
import { AssetClient } from '../../packages/sdk/src/transport/asset-client.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { torchrunEnv } from './dist-harness.js';

const WRITER = fileURLToPath(new URL('./fixtures/artifact-writer.mjs', import.meta.url));

interface WriterReport {
  step: 'upsert' | 'finish';
  ok: boolean;
  version?: string;
  state?: string;
  files?: string[];
  code?: string;
  message?: string;
  runId: string;
}

/** Runs `artifact-writer.mjs` to its end; resolves with its reports (rejects on a non-zero exit). */
function writer(env: Record<string, string>, children: ChildProcess[]): Promise<WriterReport[]> {
  const clean: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR']) if (process.env[k] !== undefined) clean[k] = process.env[k]!;
  const child = spawn(process.execPath, [WRITER], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-4000)));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`artifact-writer exited ${String(code)}: ${err}`));
      else resolve(out.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as WriterReport));
    }),
  );
}

/**
 * Artifacts, models and saved files end to end: a real coordinator on port 0
 * (embedded: SQLite and a local blob folder), the SDK in this process, and
 * four real rank processes for the distributed artifact.
 */
describe('artifacts, models and files', () => {
  let dataDir: string;
  let runsDir: string;
  let work: string;
  let coordinator: Coordinator;
  let api: Api;
  const children: ChildProcess[] = [];
  const runs: Run[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cohort-art-data-'));
    runsDir = await mkdtemp(join(tmpdir(), 'cohort-art-runs-'));
    work = await mkdtemp(join(tmpdir(), 'cohort-art-work-'));
    coordinator = await startCoordinator({ dataDir, grpcPort: 0, httpPort: 0 });
    api = new Api({ baseUrl: coordinator.httpUrl });
    process.env['COHORT_URL'] = coordinator.httpUrl;
  });
  afterAll(async () => {
    delete process.env['COHORT_URL'];
    for (const c of children) c.kill('SIGKILL');
    for (const r of runs) await r.finish().catch(() => undefined);
    await coordinator.close();
    for (const d of [dataDir, runsDir, work]) await rm(d, { recursive: true, force: true });
  });

  const open = async (project: string, extra: Record<string, unknown> = {}): Promise<Run> => {
    const run = await init({ project, dir: runsDir, settings: { silent: true, systemMetricsSeconds: 0 }, ...extra });
    runs.push(run);
    return run;
  };

  const folder = async (name: string, files: Record<string, string>): Promise<string> => {
    const dir = join(work, name);
    for (const [p, content] of Object.entries(files)) {
      await mkdir(join(dir, p, '..'), { recursive: true });
      await writeFile(join(dir, p), content);
    }
    return dir;
  };

  it('collects the upserts of four rank processes into one version that rank 0 finishes', async () => {
    const reports = await Promise.all(
      Array.from({ length: 4 }, (_, r) =>
        writer(
          {
            COHORT_URL: coordinator.httpUrl,
            COHORT_DIR: runsDir,
            TEST_PROJECT: 'arts',
            ...torchrunEnv('art-group', r, 4),
            FILES: JSON.stringify({ [`rank-${r}.txt`]: `written by rank ${r}\n`, 'shared.txt': 'the same bytes from every rank\n' }),
            ...(r === 0 && { FINISH: '1', EXPECTED_WRITERS: '4' }),
          },
          children,
        ),
      ),
    );
    for (const r of reports) expect(r[0]).toMatchObject({ step: 'upsert', ok: true, state: 'PENDING' });
    expect(reports[0]![1]).toMatchObject({ step: 'finish', ok: true, version: 'v0', state: 'COMMITTED' });
    expect(reports[0]![1]!.files).toHaveLength(5);
    const art = await api.artifact('arts/dist-data:latest');
    expect(art.version).toBe('v0');
    expect(art.files().map((f) => f.path)).toEqual(['rank-0.txt', 'rank-1.txt', 'rank-2.txt', 'rank-3.txt', 'shared.txt']);
    const by = await art.loggedBy();
    expect(by).toMatchObject({ project: 'arts', runId: reports[0]![0]!.runId });
    const root = await art.download(join(work, 'dist-download'));
    await art.verify(root);
    expect(await readFile(join(root, 'rank-2.txt'), 'utf8')).toBe('written by rank 2\n');
  }, 60_000);

  it('numbers versions, moves latest, returns the existing version for identical content and records lineage', async () => {
    const producer = await open('lineage');
    const dir = await folder('ds1', { 'a.txt': 'alpha', 'sub/b.txt': 'beta' });
    const first = new Artifact('dataset', 'dataset', { metadata: { rows: 2 } });
    first.addDir(dir);
    await producer.logArtifact(first, { aliases: ['best'] });
    expect(first).toMatchObject({ version: 'v0', state: 'COMMITTED' });
    expect(first.aliases).toEqual(expect.arrayContaining(['latest', 'best', 'v0']));
    expect(() => first.addFile(join(dir, 'a.txt'), { name: 'c.txt' })).toThrow(/immutable/);

    const same = new Artifact('dataset', 'dataset');
    same.addFile(join(dir, 'sub/b.txt'), { name: 'sub/b.txt' });
    same.addFile(join(dir, 'a.txt'));
    await producer.logArtifact(same);
    expect(same.version).toBe('v0');
    expect(same.digest).toBe(first.digest);

    const changed = new Artifact('dataset', 'dataset');
    changed.addDir(dir);
    changed.newFile('extra.txt').end('more');
    await producer.logArtifact(changed);
    expect(changed.version).toBe('v1');
    await expect(producer.logArtifact(join(dir, 'a.txt'), { name: 'dataset', type: 'model' })).rejects.toThrow(/cannot change type/);
    await expect(producer.logArtifact(join(work, 'nope'))).rejects.toThrow(/file, a directory or a scheme/);
    await expect(producer.logArtifact(dir, { aliases: ['bad/alias'] })).rejects.toThrow(/no "\/" or ":"/);

    const refs = new Artifact('refs', 'dataset');
    refs.addReference('s3://bucket/raw/data.tar', { checksum: '"etag-1"', size: 1234 });
    refs.addReference('https://example.com/x.csv');
    await producer.logArtifact(refs);
    expect(refs.files()).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'data.tar', ref: 's3://bucket/raw/data.tar', digest: '"etag-1"', size: 1234 })]));

    const consumer = await open('lineage');
    const used = await consumer.useArtifact('dataset:best');
    expect(used.version).toBe('v0');
    await expect(consumer.useArtifact('dataset:latest', { type: 'model' })).rejects.toThrow(/type/);
    const latest = await api.artifact('lineage/dataset:latest');
    expect(latest.version).toBe('v1');
    const v0 = await api.artifact(`lineage/dataset:v0`);
    expect(await v0.loggedBy()).toMatchObject({ runId: producer.id });
    expect((await v0.usedBy()).map((r) => r.runId)).toEqual([consumer.id]);
    expect(await (await api.artifact('lineage/dataset:v1')).usedBy()).toEqual([]);
    const root = await used.download(join(work, 'dl-v0'));
    expect(await readFile(join(root, 'sub/b.txt'), 'utf8')).toBe('beta');
    await used.verify(root);
    await writeFile(join(root, 'a.txt'), 'tampered');
    await expect(used.verify(root)).rejects.toThrow(/a\.txt hashes to/);

  });

  it('logs, uses and links models into the model registry', async () => {
    const run = await open('models');
    const weights = join(work, 'weights.bin');
    await writeFile(weights, Buffer.alloc(4096, 7));
    const model = await run.logModel(weights, { name: 'net' });
    expect(model).toMatchObject({ type: 'model', version: 'v0' });
    const path = await run.useModel('net:latest', join(work, 'model-dl'));
    expect(path.endsWith('weights.bin')).toBe(true);
    const linked = await run.linkModel(weights, 'prod-net', { name: 'net', aliases: ['staging'] });
    expect(linked).toMatchObject({ version: 'v0' });
    const registry = await api.artifact(`local/model-registry/prod-net:staging`);
    expect(registry.files().map((f) => f.path)).toEqual(['weights.bin']);
    expect(await registry.loggedBy()).toMatchObject({ runId: run.id });
    await expect(run.linkModel(weights, 'a/b')).rejects.toThrow(/registeredModelName/);
    await expect(run.upsertArtifact(weights)).rejects.toThrow(TypeError);
    await expect(run.upsertArtifact(weights)).rejects.toThrow('Cannot upsert artifact unless run is in a group or distributed_id is provided');
    const code = await run.logCode(await folder('src', { 'main.ts': 'x', 'node_modules/a.js': 'y', 'README.md': 'z' }));
    expect(code?.type).toBe('code');
    expect(code?.files().map((f) => f.path)).toEqual(['main.ts']);
  });

  it('refuses two writers adding one path with different content, naming both', async () => {
    const base = { COHORT_URL: coordinator.httpUrl, COHORT_DIR: runsDir, TEST_PROJECT: 'conflict', GROUP: 'g', ARTIFACT_NAME: 'ckpt' };
    const [a] = await writer({ ...base, FILES: JSON.stringify({ 'w.bin': 'from a' }) }, children);
    const [b] = await writer({ ...base, FILES: JSON.stringify({ 'w.bin': 'from b' }) }, children);
    expect(a).toMatchObject({ ok: true, state: 'PENDING' });
    expect(b).toMatchObject({ ok: false, code: 'FAILED_PRECONDITION' });
    expect(b!.message).toContain(`run ${a!.runId}`);
    expect(b!.message).toContain(`run ${b!.runId}`);
    const [done] = await writer({ ...base, FINISH: '1' }, children);
    expect(done).toMatchObject({ ok: true, version: 'v0', files: ['w.bin'] });
    // After the commit, an upsert with the same id starts the next version.
    const [next, nextDone] = await writer({ ...base, FILES: JSON.stringify({ 'w.bin': 'from b' }), FINISH: '1' }, children);
    expect(next).toMatchObject({ ok: true, state: 'PENDING' });
    expect(nextDone).toMatchObject({ ok: true, version: 'v1' });
  }, 60_000);

  it('saves files now and live, and restores them', async () => {
    const run = await open('files');
    const base = await folder('outputs', { 'out/a.txt': 'A', 'out/b.txt': 'B', 'out/skip.log': 'x' });
    const saved = await run.save(join(base, 'out/*.txt'), { basePath: base, policy: 'now' });
    expect(saved).toEqual([join(run.dir, 'files', 'out/a.txt'), join(run.dir, 'files', 'out/b.txt')]);
    await expect(run.save('*.txt', { basePath: base })).rejects.toThrow(/starts with "\*"/);
    await expect(run.save(join(base, '..', 'x', '*.txt'), { basePath: base })).rejects.toThrow(/above the base path/);
    await expect(run.save(join(base, 'a'), { basePath: base, policy: 'sometimes' as never })).rejects.toThrow(/policy/);
    expect(await run.save('s3://bucket/x')).toEqual([]);
    // The glob is expanded when save is called (W&B): a file created later is not picked up.
    expect(await run.save(join(base, 'later.txt'), { basePath: base, policy: 'live' })).toEqual([]);
    await writeFile(join(base, 'later.txt'), 'never saved');
    await writeFile(join(base, 'live.txt'), 'v0');
    expect(await run.save(join(base, 'live.txt'), { basePath: base, policy: 'live' })).toEqual([join(run.dir, 'files', 'live.txt')]);
    await writeFile(join(base, 'live.txt'), 'v1');
    const other = await open('files');
    const into = join(work, 'restored');
    expect(await other.restore('out/a.txt', { runPath: `files/${run.id}`, root: into })).toBe(join(into, 'out/a.txt'));
    expect(await readFile(join(into, 'out/a.txt'), 'utf8')).toBe('A');
    expect(await other.restore('missing.txt', { runPath: `files/${run.id}`, root: into })).toBeUndefined();
    await writeFile(join(into, 'out/b.txt'), 'local');
    await other.restore('out/b.txt', { runPath: `files/${run.id}`, root: into });
    expect(await readFile(join(into, 'out/b.txt'), 'utf8')).toBe('local');
    await other.restore('out/b.txt', { runPath: `files/${run.id}`, root: into, replace: true });
    expect(await readFile(join(into, 'out/b.txt'), 'utf8')).toBe('B');
    // The live file's last content is uploaded at the end.
    await run.finish();
    expect(await other.restore('live.txt', { runPath: `files/${run.id}`, root: into })).toBe(join(into, 'live.txt'));
    expect(await readFile(join(into, 'live.txt'), 'utf8')).toBe('v1');
    const apiRun = await api.run(`files/${run.id}`);
    expect((await apiRun.files()).map((f) => f.path)).toEqual(['live.txt', 'out/a.txt', 'out/b.txt']);
    const got = await apiRun.downloadFile('out/b.txt', join(work, 'api-dl'));
    expect(await readFile(got, 'utf8')).toBe('B');
    await expect(apiRun.downloadFile('nope.txt')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('answers INVALID_ARGUMENT to traversal and malformed paths and writes nothing', async () => {
    const run = await open('evil');
    const client = new AssetClient(coordinator.grpcAddress);
    try {
      const digest = 'a'.repeat(64);
      const bad = ['../escape', '/etc/passwd', 'a/../../b', 'a/\0b', 'C:\\x', 'a//b', `${'x'.repeat(300)}/y`, 'y/'.repeat(600)];
      const ref = { entity: '', project: 'evil', runId: run.id };
      for (const path of bad) {
        const put = await client.putRunFiles(ref, [{ path, digest, size: 1, ref: '' }]).catch((e: unknown) => e);
        expect((put as CohortError).code, path).toBe('INVALID_ARGUMENT');
        const save = await client
          .saveArtifact({ run: ref, name: 'evil', type: 'x', aliases: [], tags: [], description: '', metadataJson: '', entries: [{ path, digest, size: 1, ref: '' }], mode: 'log', distributedId: '', writer: '', expectedWriters: 0, waitMs: 0 })
          .catch((e: unknown) => e);
        expect((save as CohortError).code, path).toBe('INVALID_ARGUMENT');
        expect(() => new Artifact('x', 'y').newFile(path)).toThrow(CohortError);
      }
      await expect(client.getRunFile(ref, '../../etc/passwd')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(run.restore('../x')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      const res = await fetch(`${coordinator.httpUrl}/api/v1/runs/local/evil/${run.id}/files`);
      expect(((await res.json()) as { files: unknown[] }).files).toEqual([]);
      await expect(api.artifact('evil/evil:latest')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect((await fetch(`${coordinator.httpUrl}/api/v1/runs/local/evil/${run.id}/files/..%2F..%2Fetc%2Fpasswd`)).status).toBe(400);
      expect((await fetch(`${coordinator.httpUrl}/api/v1/blobs/..%2Fcohort.db`)).status).toBe(400);
      // A manifest naming a blob that was never uploaded is refused too.
      const missing = await client
        .saveArtifact({ run: ref, name: 'ghost', type: 'x', aliases: [], tags: [], description: '', metadataJson: '', entries: [{ path: 'g', digest, size: 1, ref: '' }], mode: 'log', distributedId: '', writer: '', expectedWriters: 0, waitMs: 0 })
        .catch((e: unknown) => e);
      expect((missing as CohortError).code).toBe('FAILED_PRECONDITION');
    } finally {
      client.close();
    }
  });
});
