import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CohortError, UsageError } from '@cohort/protocol';
import { Artifact } from './artifacts/artifact.js';
import { init } from './init.js';
import { readWal } from './wal/wal-reader.js';

/** The Run API's W&B rules checked without a server (issue 15); test/e2e/sdk-run-api.test.ts has the server side. */
const quiet = { silent: true, console: 'off', handleSigterm: false, systemMetricsSeconds: 0 } as const;

describe('the Run API without a server', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cohort-run-api-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const offline = (extra: Record<string, unknown> = {}) => init({ mode: 'offline', project: 'p', dir, reinit: 'create_new', settings: quiet, ...extra });

  it('takes a Metric as the step metric', async () => {
    const run = await offline();
    const epoch = run.defineMetric('epoch');
    const acc = run.defineMetric('val/acc', { stepMetric: epoch, summary: 'max' });
    expect(acc.stepMetric).toBe('epoch');
    expect(acc.stepSync).toBe(true);
    run.log({ epoch: 3 });
    run.log({ 'val/acc': 0.5 });
    expect(run.summary.toJSON()).toMatchObject({ epoch: 3, 'val/acc': { max: 0.5 } });
    expect(() => run.defineMetric('x', { stepMetric: 7 as never })).toThrow(/stepMetric/);
    await run.finish();
  });

  it('refuses a bad run id, project or entity with a UsageError naming the field and the rule', async () => {
    for (const [options, field] of [
      [{ id: 'a/b' }, '`id`'],
      [{ id: ' lead' }, '`id`'],
      [{ project: 'a#b' }, '`project`'],
      [{ project: '' }, '`project`'],
      [{ entity: 'a?b' }, '`entity`'],
    ] as const) {
      const err = await offline(options).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, JSON.stringify(options)).toBeInstanceOf(UsageError);
      expect(String((err as Error).message)).toContain(field);
      expect(String((err as Error).message)).toMatch(/characters/);
    }
  });

  it('names offline and disabled runs adjective-noun-number and records the name for sync', async () => {
    const run = await offline();
    expect(run.name).toMatch(/^[a-z]+-[a-z]+-\d+$/);
    expect(run.name).not.toBe(run.id);
    await run.finish();
    let header: string | undefined;
    for await (const seg of readWal(join(run.dir, 'wal'))) header ??= seg.header?.open.name;
    expect(header).toBe(run.name);
    const named = await offline({ name: 'given' });
    expect(named.name).toBe('given');
    await named.finish();
    const disabled = await init({ mode: 'disabled', project: 'p', reinit: 'create_new', settings: quiet });
    expect(disabled.name).toMatch(/^[a-z]+-[a-z]+-\d+$/);
    await disabled.finish();
  });

  it('refuses alert titles of 64 characters or more', async () => {
    const run = await offline();
    expect(() => run.alert('t'.repeat(63), 'ok')).not.toThrow();
    expect(() => run.alert('t'.repeat(64), 'too long')).toThrow(CohortError);
    expect(() => run.alert('t'.repeat(64), 'too long')).toThrow(/`title`.*1 to 63 characters/);
    await run.finish();
  });

  it('records offline saves and artifacts in the run folder for cohort sync', async () => {
    const src = join(dir, 'src');
    await mkdir(join(src, 'data'), { recursive: true });
    await writeFile(join(src, 'data', 'a.txt'), 'A');
    await writeFile(join(src, 'keep.log'), 'first');
    const run = await offline();
    expect(await run.save(join(src, '*.log'), { basePath: dir, policy: 'end' })).toEqual([join(run.dir, 'files', 'src', 'keep.log')]);
    await writeFile(join(src, 'keep.log'), 'last');
    await writeFile(join(src, 'new.log'), 'created later');
    const artifact = new Artifact('data', 'dataset');
    artifact.addDir(join(src, 'data'));
    await run.logArtifact(artifact, { aliases: ['best'] });
    expect(artifact.state).toBe('COMMITTED');
    expect(() => artifact.addFile(join(src, 'keep.log'))).toThrow(UsageError);
    // The copy is what sync uploads: a later change of the source does not reach it.
    await writeFile(join(src, 'data', 'a.txt'), 'changed');
    await expect(run.upsertArtifact(new Artifact('x', 'y'), { distributedId: 'd' })).rejects.toThrow(/needs a server; this run is offline/);
    await expect(run.restore('keep.log')).rejects.toBeInstanceOf(UsageError);
    await run.finish();

    expect(await readFile(join(run.dir, 'files', 'src', 'keep.log'), 'utf8')).toBe('last');
    expect(await readdir(join(run.dir, 'files', 'src'))).toEqual(['keep.log']);
    const manifests = (await readdir(join(run.dir, 'artifacts'))).filter((f) => f.endsWith('.json'));
    expect(manifests).toEqual(['000000.json']);
    const manifest = JSON.parse(await readFile(join(run.dir, 'artifacts', manifests[0]!), 'utf8')) as { name: string; aliases: string[]; entries: Array<{ path: string; digest: string }> };
    expect(manifest).toMatchObject({ name: 'data', aliases: ['best'], entries: [{ path: 'a.txt' }] });
    expect(await readFile(join(run.dir, 'artifacts', 'blobs', manifest.entries[0]!.digest), 'utf8')).toBe('A');
  });

  it('makes save and the artifact logs no-ops in disabled mode, and guards them after finish', async () => {
    const run = await init({ mode: 'disabled', project: 'p', reinit: 'create_new', settings: quiet });
    expect(await run.save('*.txt')).toEqual([]);
    const a = new Artifact('same', 'dataset');
    expect(await run.logArtifact(a)).toBe(a);
    expect((await run.logArtifact('/some/where/file.bin')).name).toBe(`run-${run.id}-file.bin`);
    await expect(run.logModel('/m', { name: 'bad name' })).rejects.toBeInstanceOf(UsageError);
    expect(await run.logCode('.')).toBeUndefined();
    await run.finish();
    await expect(run.save('*.txt')).rejects.toBeInstanceOf(UsageError);
  });
});
