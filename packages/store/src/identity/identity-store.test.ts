import { describe, expect, it } from 'vitest';
import { EACH_STORE } from '../../../../test/harness/stores.js';

const D = (c: string) => c.repeat(64).slice(0, 64);

describe.each(EACH_STORE)('IdentityStore (%s)', (_name, open) => {
  it('creates a user with its personal entity, once', async () => {
    await using s = await open();
    await s.store.identity.ensureUser('alice');
    await s.store.identity.ensureUser('alice');
    expect(await s.store.identity.entitiesOf('alice')).toEqual(['alice']);
    expect(await s.store.identity.listEntities()).toEqual([expect.objectContaining({ name: 'alice', kind: 'user' })]);
  });

  it('adds members to teams and lists the user\'s own entity first', async () => {
    await using s = await open();
    const id = s.store.identity;
    await id.ensureUser('zed');
    await id.ensureTeam('alpha');
    await id.ensureTeam('beta');
    await id.addMember('beta', 'zed');
    await id.addMember('alpha', 'zed', 'admin');
    expect(await id.entitiesOf('zed')).toEqual(['zed', 'alpha', 'beta']);
  });

  it('refuses a team named like a user, a member that does not exist, and a bad name', async () => {
    await using s = await open();
    const id = s.store.identity;
    await id.ensureUser('alice');
    await expect(id.ensureTeam('alice')).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await id.ensureTeam('vision');
    await expect(id.ensureUser('vision')).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(id.addMember('vision', 'nobody')).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('nobody') });
    await expect(id.addMember('alice', 'alice')).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('team') });
    await expect(id.ensureUser('bad/name')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('user') });
  });

  it('stores keys by hash, lists, touches and revokes them', async () => {
    await using s = await open();
    const id = s.store.identity;
    await id.ensureUser('alice');
    await id.createKey({ id: 'k1', user: 'alice', label: 'laptop', hash: 'h1', createdAt: 10 });
    await expect(id.createKey({ id: 'k2', user: 'ghost', label: '', hash: 'h2', createdAt: 11 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await id.findKey('k1')).toEqual({ id: 'k1', user: 'alice', label: 'laptop', hash: 'h1', createdAt: 10, lastUsedAt: undefined, revokedAt: undefined });
    await id.touchKey('k1');
    expect((await id.findKey('k1'))!.lastUsedAt).toBeGreaterThan(0);
    expect(await id.revokeKey('k1')).toBe(true);
    const revokedAt = (await id.findKey('k1'))!.revokedAt;
    expect(revokedAt).toBeGreaterThan(0);
    expect(await id.revokeKey('k1')).toBe(true);
    expect((await id.findKey('k1'))!.revokedAt).toBe(revokedAt);
    expect(await id.revokeKey('nope')).toBe(false);
    expect((await id.listKeys('alice')).map((k) => k.id)).toEqual(['k1']);
    expect(await id.listKeys('bob')).toEqual([]);
  });

  it('lets an entity read a blob granted to it or referenced by its artifacts, and no other', async () => {
    await using s = await open();
    const id = s.store.identity;
    await id.grantBlobs(['a'], [D('1')]);
    await s.store.artifacts.save({
      mode: 'log', entity: 'a', project: 'p', name: 'data', type: 'dataset', aliases: ['latest'], tags: [], description: undefined, metadataJson: undefined,
      entries: [{ path: 'x.bin', digest: D('2'), size: 3, ref: '' }, { path: 'ref.bin', digest: D('3'), size: 3, ref: 's3://b/ref.bin' }],
      distributedId: '', writer: 'w', runPk: 1, now: 1,
    });
    // D('3') is only the checksum of a reference entry: naming a digest there grants nothing.
    expect(await id.readableBlobs(['a'], [D('1'), D('2'), D('3')])).toEqual(new Set([D('1'), D('2')]));
    expect(await id.readableBlobs(['b'], [D('1'), D('2'), D('3')])).toEqual(new Set());
    expect(await id.readableBlobs(['b', 'a'], [D('2')])).toEqual(new Set([D('2')]));
  });

  it('answers many digests in bounded statements', async () => {
    await using s = await open();
    const digests = Array.from({ length: 1200 }, (_, i) => i.toString(16).padStart(64, '0'));
    await s.store.identity.grantBlobs(['a'], digests.slice(0, 700));
    expect((await s.store.identity.readableBlobs(['a'], digests)).size).toBe(700);
  });

  it('keeps the first value of a server secret', async () => {
    await using s = await open();
    expect(await s.store.identity.serverSecret('session', 'one')).toBe('one');
    expect(await s.store.identity.serverSecret('session', 'two')).toBe('one');
  });
});
