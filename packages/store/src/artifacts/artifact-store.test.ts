import { describe, expect, it } from 'vitest';
import { manifestDigest } from '@cohort/protocol';
import { EACH_STORE } from '../../../../test/harness/stores.js';
import type { SaveArtifactInput, StoredManifestEntry } from './artifact-types.js';

const D = (c: string) => c.repeat(64).slice(0, 64);
const file = (path: string, c: string, size = 10): StoredManifestEntry => ({ path, digest: D(c), size, ref: '' });

function input(over: Partial<SaveArtifactInput>): SaveArtifactInput {
  return {
    mode: 'log',
    entity: 'e',
    project: 'p',
    name: 'data',
    type: 'dataset',
    aliases: ['latest'],
    tags: [],
    description: undefined,
    metadataJson: undefined,
    entries: [],
    distributedId: '',
    writer: 'run r1',
    runPk: 1,
    now: 100,
    ...over,
  };
}

describe.each(EACH_STORE)('ArtifactStore over %s', (_name, open) => {
  it('numbers versions per name, moves latest and returns the existing version for identical content', async () => {
    await using s = await open();
    const a = s.store.artifacts;
    const v0 = await a.save(input({ entries: [file('a.txt', 'a')], aliases: ['latest', 'best'] }));
    expect(v0).toMatchObject({ index: 0, state: 'COMMITTED', deduplicated: false, size: 10, fileCount: 1 });
    expect(v0.digest).toBe(manifestDigest([file('a.txt', 'a')]));
    const v1 = await a.save(input({ entries: [file('a.txt', 'b')] }));
    expect(v1.index).toBe(1);
    // The project's listing counts committed versions and gives the latest one's files and bytes.
    expect(await a.list('e', 'p')).toEqual([{ name: 'data', type: 'dataset', createdAt: 100, versions: 2, fileCount: 1, size: 10 }]);
    expect((await a.find({ entity: 'e', project: 'p', name: 'data' }, 'latest'))?.index).toBe(1);
    expect((await a.find({ entity: 'e', project: 'p', name: 'data' }, 'best'))?.index).toBe(0);
    const again = await a.save(input({ entries: [file('a.txt', 'a')], aliases: ['latest', 'again'] }));
    expect(again).toMatchObject({ index: 0, deduplicated: true });
    expect(again.aliases).toEqual(expect.arrayContaining(['latest', 'best', 'again', 'v0']));
    expect((await a.versions({ entity: 'e', project: 'p', name: 'data' })).map((v) => v.index)).toEqual([0, 1]);
  });

  it('refuses a name that changes type', async () => {
    await using s = await open();
    await s.store.artifacts.save(input({ entries: [file('a', 'a')] }));
    await expect(s.store.artifacts.save(input({ type: 'model', entries: [file('a', 'b')] }))).rejects.toThrow(/cannot change type/);
  });

  it('collects upserts of several writers into one pending version and commits it once', async () => {
    await using s = await open();
    const a = s.store.artifacts;
    const key = { entity: 'e', project: 'p', name: 'data' };
    await a.save(input({ mode: 'upsert', distributedId: 'g', writer: 'rank 0', entries: [file('r0', 'a')], aliases: ['x'] }));
    await a.save(input({ mode: 'upsert', distributedId: 'g', writer: 'rank 1', entries: [file('r1', 'b'), file('shared', 'c')] }));
    await a.save(input({ mode: 'upsert', distributedId: 'g', writer: 'rank 2', entries: [file('shared', 'c')] }));
    expect(await a.countPendingWriters(key, 'g')).toBe(3);
    await expect(a.save(input({ mode: 'upsert', distributedId: 'g', writer: 'rank 3', entries: [file('shared', 'd')] }))).rejects.toThrow(/rank 1.*rank 3/);
    const pending = await a.find(key, 'pending:g');
    expect(pending).toMatchObject({ state: 'PENDING', fileCount: 3 });
    const done = await a.save(input({ mode: 'finish', distributedId: 'g', writer: 'rank 0', runPk: 7 }));
    expect(done).toMatchObject({ state: 'COMMITTED', index: 0, fileCount: 3, loggedByRunPk: 7 });
    expect(done.aliases).toEqual(expect.arrayContaining(['latest', 'x', 'v0']));
    const next = await a.save(input({ mode: 'upsert', distributedId: 'g', writer: 'rank 0', entries: [file('later', 'e')] }));
    expect(next.state).toBe('PENDING');
    expect((await a.files(done.pk)).map((f) => f.path)).toEqual(['r0', 'r1', 'shared']);
  });

  it('records users, links into a portfolio, and keeps run files and alert deliveries', async () => {
    await using s = await open();
    const a = s.store.artifacts;
    const v = await a.save(input({ type: 'model', name: 'net', entries: [file('w.bin', 'a')] }));
    await a.use(v.pk, 2, 'input', 101);
    await a.use(v.pk, 2, 'input', 102);
    expect(await a.usedBy(v.pk)).toEqual([{ runPk: 2, useAs: 'input', at: 101 }]);
    expect((await a.usedByRun(2)).map((x) => x.name)).toEqual(['net']);
    const linked = await a.link(v.pk, { entity: 'e', project: 'model-registry', name: 'prod' }, ['staging'], 103);
    expect(linked).toMatchObject({ project: 'model-registry', name: 'prod', index: 0, loggedByRunPk: 1, sourceVersionPk: v.pk });
    expect(linked.aliases).toEqual(expect.arrayContaining(['latest', 'staging']));
    expect((await a.link(v.pk, { entity: 'e', project: 'model-registry', name: 'prod' }, [], 104)).index).toBe(0);
    await a.putRunFiles(1, [file('out/a.txt', 'a'), file('b', 'b')], 5);
    await a.putRunFiles(1, [file('b', 'c', 3)], 6);
    expect(await a.runFiles(1)).toEqual([
      { path: 'b', digest: D('c'), size: 3, updatedAt: 6 },
      { path: 'out/a.txt', digest: D('a'), size: 10, updatedAt: 5 },
    ]);
  });
});
