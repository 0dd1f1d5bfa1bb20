import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Artifact, UsageError, init, syncRunDir, type Run } from '@cohort/sdk';
import { embeddedServer } from '../harness/embedded-server.js';

/**
 * The Run API as W&B documents it (issue 15), against a real embedded server:
 * the summary after an explicit set, generated names, `save` globs, the
 * artifact calls, and offline files and artifacts uploaded by `cohort sync`.
 */
const quiet = { silent: true, flushIntervalMs: 5, systemMetricsSeconds: 0, console: 'off', handleSigterm: false } as const;

/** Waits for `check` to hold, polling, up to a generous deadline. */
async function eventually(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the Run API as W&B documents it (issue 15)', () => {
  const server = embeddedServer('file');
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'cohort-run-api-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  const folder = async (name: string, files: Record<string, string>): Promise<string> => {
    const dir = join(work, name);
    for (const [p, content] of Object.entries(files)) {
      await mkdir(join(dir, p, '..'), { recursive: true });
      await writeFile(join(dir, p), content);
    }
    return dir;
  };

  const fileText = async (run: Run, path: string): Promise<string> => {
    const back = await server.api.run(`${run.entity}/${run.project}/${run.id}`);
    return readFile(await back.downloadFile(path, join(work, `dl-${run.id}-${Math.random().toString(36).slice(2)}`)), 'utf8');
  };

  it('an explicit summary set clears the aggregation on the server as in the SDK', async () => {
    const run = await init({ project: 'api-summary', dir: server.runsDir, settings: quiet });
    run.defineMetric('v', { summary: 'max' });
    run.log({ v: 5 });
    run.summary.set('v', 100);
    run.log({ v: 2 });
    const local = run.summary.get('v');
    await run.finish();
    expect(local).toBe(2);
    const back = await server.api.run(`${run.entity}/api-summary/${run.id}`);
    expect(back.summary['v']).toBe(2);
  });

  it('names a run without a name adjective-noun-number; the server stores it', async () => {
    const run = await init({ project: 'api-names', dir: server.runsDir, settings: quiet });
    const named = await init({ project: 'api-names', dir: server.runsDir, name: 'mine', reinit: 'create_new', settings: quiet });
    await Promise.all([run.finish(), named.finish()]);
    expect(run.name).toMatch(/^[a-z]+-[a-z]+-1$/);
    expect((await server.api.run(`${run.entity}/api-names/${run.id}`)).name).toBe(run.name);
    expect((await server.api.run(`${named.entity}/api-names/${named.id}`)).name).toBe('mine');
  });

  it('refuses a bad run id or project name with a UsageError naming the field and the rule', async () => {
    const bad = init({ project: 'api-ids', id: 'a/b', dir: server.runsDir, settings: quiet });
    await expect(bad).rejects.toBeInstanceOf(UsageError);
    await expect(bad).rejects.toThrow(/`id`.*none of : ; , # \? \/ '/);
    const badProject = init({ project: 'x:y', dir: server.runsDir, settings: quiet });
    await expect(badProject).rejects.toBeInstanceOf(UsageError);
    await expect(badProject).rejects.toThrow(/`project`.*none of/);
  });

  it('save expands the glob when called; live re-uploads the files it matched', async () => {
    const run = await init({ project: 'api-save', dir: server.runsDir, settings: quiet });
    const base = await folder('save', { 'out/a.txt': 'a1' });
    expect(await run.save(join(base, 'out/*.txt'), { basePath: base, policy: 'live' })).toEqual([join(run.dir, 'files', 'out', 'a.txt')]);
    // Created after the call: W&B does not pick it up.
    await writeFile(join(base, 'out/late.txt'), 'late');
    await writeFile(join(base, 'out/a.txt'), 'a2 (changed)');
    await eventually(async () => (await fileText(run, 'out/a.txt')) === 'a2 (changed)', 'the live re-upload of out/a.txt');
    await run.finish();
    const back = await server.api.run(`${run.entity}/api-save/${run.id}`);
    expect((await back.files()).map((f) => f.path)).toEqual(['out/a.txt']);
  });

  it('useArtifact logs an Artifact not logged yet with its aliases, uses it, and resolves name:<digest>', async () => {
    const run = await init({ project: 'api-use', dir: server.runsDir, settings: quiet });
    const data = await folder('use-data', { 'rows.csv': 'a,b\n1,2\n' });
    const draft = new Artifact('table', 'dataset');
    draft.addDir(data);
    const used = await run.useArtifact(draft, { aliases: ['gold'] });
    expect(draft.state).toBe('COMMITTED');
    expect(used.aliases).toEqual(expect.arrayContaining(['gold', 'latest']));
    const byDigest = await run.useArtifact(`table:${draft.digest}`);
    expect(byDigest.version).toBe(draft.version);
    await expect(run.useArtifact(`table:${'0'.repeat(64)}`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await run.finish();
    const stored = await server.api.artifact(`${run.entity}/api-use/table:gold`);
    expect((await stored.usedBy()).map((r) => r.runId)).toContain(run.id);
    expect((await stored.loggedBy())?.runId).toBe(run.id);
  });

  it('logModel names follow W&B rules; logCode include and exclude get (path, root)', async () => {
    const run = await init({ project: 'api-model', dir: server.runsDir, settings: quiet });
    const model = await folder('model', { 'weights.bin': 'w' });
    await expect(run.logModel(model, { name: 'my model!' })).rejects.toBeInstanceOf(UsageError);
    await expect(run.logModel(model, { name: 'my model!' })).rejects.toThrow(/letters, digits, "-", "_" or "\."/);
    expect((await run.logModel(model, { name: 'resnet-50_v1.2' })).type).toBe('model');
    const code = await folder('code', { 'train.py': 'print(1)', 'lib/util.py': 'x = 1', 'lib/skip.py': 'y = 2', 'notes.txt': 'n' });
    const seen: Array<[string, string]> = [];
    const logged = await run.logCode(code, {
      include: (path, root) => {
        seen.push([path, root]);
        return path.endsWith('.py');
      },
      exclude: (path) => path.endsWith('skip.py'),
    });
    expect(seen).toContainEqual([join(code, 'lib', 'util.py'), code]);
    expect(logged?.files().map((f) => f.path).sort()).toEqual(['lib/util.py', 'train.py']);
    await run.finish();
  });

  it('offline save, logArtifact, logModel and logCode are uploaded by cohort sync', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cohort-offline-assets-'));
    try {
      const run = await init({ project: 'api-offline', mode: 'offline', dir, settings: quiet });
      expect(run.name).toMatch(/^[a-z]+-[a-z]+-\d+$/);
      const base = await folder('offline', { 'ckpt/last.pt': 'v1', 'data/x.txt': 'x', 'model/w.bin': 'weights', 'src/main.py': 'print(2)' });
      expect(await run.save(join(base, 'ckpt/*.pt'), { basePath: base, policy: 'live' })).toEqual([join(run.dir, 'files', 'ckpt', 'last.pt')]);
      await writeFile(join(base, 'ckpt/last.pt'), 'v2 at the end');
      const art = await run.logArtifact(join(base, 'data'), { name: 'offline-data', type: 'dataset', aliases: ['first'] });
      expect(art.state).toBe('COMMITTED');
      expect(art.digest).toMatch(/^[0-9a-f]{64}$/);
      await run.logModel(join(base, 'model'), { name: 'offline-model' });
      expect(await run.logCode(join(base, 'src'))).toBeDefined();
      await expect(run.useArtifact('offline-data:latest')).rejects.toBeInstanceOf(TypeError);
      run.log({ loss: 1 });
      await run.finish();

      const results = await syncRunDir(dir);
      expect(results.map((r) => [r.outcome, r.error])).toEqual([['uploaded', undefined]]);
      const back = await server.api.run(`api-offline/${run.id}`);
      expect(back.name).toBe(run.name);
      expect((await back.files()).map((f) => f.path)).toContain('ckpt/last.pt');
      expect(await readFile(await back.downloadFile('ckpt/last.pt', join(work, 'offline-dl')), 'utf8')).toBe('v2 at the end');
      const data = await server.api.artifact(`api-offline/offline-data:first`);
      expect(data.digest).toBe(art.digest);
      expect((await data.loggedBy())?.runId).toBe(run.id);
      expect((await server.api.artifact('api-offline/offline-model:latest')).type).toBe('model');
      expect(await syncRunDir(dir)).toEqual([expect.objectContaining({ outcome: 'up-to-date' })]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('disabled save, logArtifact, logModel and logCode do nothing and throw nothing', async () => {
    const run = await init({ project: 'api-disabled', mode: 'disabled', dir: server.runsDir, settings: quiet });
    const base = await folder('disabled', { 'a.txt': 'a' });
    expect(await run.save(join(base, '*.txt'), { basePath: work })).toEqual([]);
    expect((await run.logArtifact(join(base, 'a.txt'))).state).toBe('draft');
    expect((await run.logModel(base, { name: 'm' })).type).toBe('model');
    expect(await run.logCode(base)).toBeUndefined();
    await run.finish();
  });
});
