import { describe, expect, it } from 'vitest';
import { startCoordinator } from '@cohort/coordinator';
import { runCli } from '../src/index.js';
import { tempDir, testContext } from './helpers.js';

const projects = (url: string, key?: string) =>
  fetch(`${url}/api/v1/projects`, { headers: key === undefined ? {} : { authorization: `Bearer ${key}` } });

describe('cohort keys', () => {
  it('creates a key shown once, lists it without its secret, and revokes it so the server refuses it', async () => {
    await using dir = await tempDir();
    const create = testContext({ cwd: dir.path });
    expect(await runCli(['keys', 'create', '--data', 'data', '--user', 'alice', '--team', 'vision,nlp', '--label', 'laptop'], create)).toBe(0);
    const key = create.out().trim();
    expect(key).toMatch(/^ck_[A-Za-z0-9]+_[A-Za-z0-9_-]{20,}$/);
    const id = key.split('_')[1]!;
    expect(create.err()).toMatch(new RegExp(`created key ${id} for alice \\(entities: .*vision.*\\)`));

    const list = testContext({ cwd: dir.path });
    expect(await runCli(['keys', 'list', '--data', 'data'], list)).toBe(0);
    expect(list.out()).toMatch(new RegExp(`${id}\\s+alice\\s+laptop`));
    expect(list.out()).not.toContain(key.split('_')[2]!);

    await using server = await startCoordinator({ dataDir: `${dir.path}/data`, grpcPort: 0, httpPort: 0, auth: 'keys', keyCacheTtlMs: 1 });
    expect((await projects(server.httpUrl)).status).toBe(401);
    expect((await projects(server.httpUrl, key)).status).toBe(200);

    const revoke = testContext({ cwd: dir.path });
    expect(await runCli(['keys', 'revoke', '--data', 'data', id], revoke)).toBe(0);
    expect(revoke.out()).toMatch(new RegExp(`revoked ${id}`));
    await new Promise((r) => setTimeout(r, 20));
    const refused = await projects(server.httpUrl, key);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');

    const listed = testContext({ cwd: dir.path });
    expect(await runCli(['keys', 'list', '--data', 'data'], listed)).toBe(0);
    expect(listed.out()).toMatch(new RegExp(`${id}\\s+alice\\s+laptop\\s+\\S+\\s+\\S+\\s+\\d{4}-`));
  });

  it('names what is missing: an action, --user for create, the id for revoke, an unknown id', async () => {
    await using dir = await tempDir();
    const none = testContext({ cwd: dir.path });
    expect(await runCli(['keys'], none)).toBe(2);
    expect(none.err()).toMatch(/expected an action: create, list or revoke; got none/);
    const noUser = testContext({ cwd: dir.path });
    expect(await runCli(['keys', 'create', '--data', 'data'], noUser)).toBe(2);
    expect(noUser.err()).toMatch(/--user is required/);
    const noId = testContext({ cwd: dir.path });
    expect(await runCli(['keys', 'revoke', '--data', 'data'], noId)).toBe(2);
    expect(noId.err()).toMatch(/give the key id/);
    const unknown = testContext({ cwd: dir.path });
    expect(await runCli(['keys', 'revoke', '--data', 'data', 'nosuchkey'], unknown)).toBe(1);
    expect(unknown.err()).toMatch(/no key "nosuchkey"/);
  });
});
