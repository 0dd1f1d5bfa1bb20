import { appendFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCoordinator } from '@cohort/coordinator';
import { init } from '@cohort/sdk';
import { runCli } from '../src/index.js';
import { tempDir, testContext } from './helpers.js';

describe('cohort command line', () => {
  it('names an unknown command and prints the usage, exit 2', async () => {
    const ctx = testContext();
    expect(await runCli(['frobnicate'], ctx)).toBe(2);
    expect(ctx.err()).toMatch(/^cohort: unknown command "frobnicate"\n\nUsage: cohort <command>/);
    const none = testContext();
    expect(await runCli([], none)).toBe(2);
    expect(none.err()).toMatch(/missing command/);
  });

  it('names an unknown or bad flag and prints the command usage, exit 2', async () => {
    const ctx = testContext();
    expect(await runCli(['server', '--bogus'], ctx)).toBe(2);
    expect(ctx.err()).toMatch(/^cohort server: unknown option --bogus\n\nUsage:\n {2}cohort server/);
    const bad = testContext();
    expect(await runCli(['demo', '--steps', 'many'], bad)).toBe(2);
    expect(bad.err()).toMatch(/^cohort demo: --steps: expected an integer from 1 to 1000000, got "many"/);
    const missing = testContext();
    expect(await runCli(['runs', '--url'], missing)).toBe(2);
    expect(missing.err()).toMatch(/^cohort runs: option --url needs a value/);
    const noDir = testContext();
    expect(await runCli(['sync'], noDir)).toBe(2);
    expect(noDir.err()).toMatch(/^cohort sync: missing DIR/);
  });

  it('prints help with exit 0', async () => {
    const ctx = testContext();
    expect(await runCli(['runs', '--help'], ctx)).toBe(0);
    expect(ctx.out()).toMatch(/cohort runs \[--url URL\]/);
  });

  it('logs a demo run to a server, prints its URL, and lists it', async () => {
    await using c = await startCoordinator({ grpcPort: 0, httpPort: 0 });
    await using dir = await tempDir();
    const ctx = testContext({ cwd: dir.path });
    expect(await runCli(['demo', '--url', c.httpUrl, '--steps', '40', '--ranks', '2'], ctx)).toBe(0);
    const urls = [...ctx.out().matchAll(/^run url: (http:\/\/\S+)$/gm)].map((m) => m[1]!);
    expect(urls).toHaveLength(2);
    expect(urls[0]).toMatch(new RegExp(`^${c.httpUrl}/local/cohort-demo/runs/[a-z0-9]{8}$`));
    const page = await fetch(urls[0]!);
    expect(page.status).toBe(200);

    // The ranks ran as child processes, at once, in one group.
    const groupUrl = /^group url: (http:\/\/\S+)$/m.exec(ctx.out())?.[1];
    // The group's dashboard page, not a JSON API URL.
    expect(groupUrl).toMatch(new RegExp(`^${c.httpUrl}/local/cohort-demo/groups/demo-`));
    expect((await fetch(groupUrl!)).headers.get('content-type')).toMatch(/^text\/html/);
    const group = (await (await fetch(`${c.httpUrl}/api/v1/groups/local/cohort-demo/${groupUrl!.split('/').at(-1)!}`)).json()) as { state: string; worldSize: number; members: Array<{ rank: number; state: string }> };
    expect(group).toMatchObject({ state: 'finished', worldSize: 2 });
    expect(group.members.map((m) => [m.rank, m.state])).toEqual([
      [0, 'finished'],
      [1, 'finished'],
    ]);

    const { runs } = await c.engine.listRuns('local', 'cohort-demo', {}, { fields: ['summary'] });
    expect(runs).toHaveLength(2);
    for (const run of runs) {
      expect(run.state).toBe('finished');
      expect(run.lastStep).toBe(39);
      expect(run.worldSize).toBe(2);
      expect(run.summary!['val/loss']).toEqual({ min: expect.any(Number) });
    }
    // Each rank logs its own curve, so the group's band shows.
    expect(runs[0]!.summary!['train/loss']).not.toEqual(runs[1]!.summary!['train/loss']);

    const list = testContext();
    expect(await runCli(['runs', '--url', c.httpUrl], list)).toBe(0);
    const lines = list.out().trim().split('\n');
    expect(lines[0]).toMatch(/^PROJECT\s+ID\s+STATE\s+NAME\s+LAST STEP\s+GROUP$/);
    expect(lines.slice(1)).toHaveLength(2);
    expect(lines[1]).toMatch(/^cohort-demo\s+[a-z0-9]{8}\s+finished\s+\S+\s+39\s+demo-/);
  });

  it('fails clearly when no server answers', async () => {
    const ctx = testContext();
    expect(await runCli(['runs', '--url', 'http://127.0.0.1:9'], ctx)).toBe(1);
    expect(ctx.err()).toMatch(/^cohort runs: cannot reach the Cohort server at http:\/\/127\.0\.0\.1:9/);
  });

  it('syncs offline runs, and exits 1 on a corrupt tail after uploading what was intact', async () => {
    await using dir = await tempDir();
    const good = await init({ mode: 'offline', project: 'off', dir: dir.path, settings: { silent: true } });
    for (let i = 0; i < 5; i++) good.log({ loss: 1 / (i + 1) });
    await good.finish();

    await using c = await startCoordinator({ grpcPort: 0, httpPort: 0 });
    const ctx = testContext();
    expect(await runCli(['sync', dir.path, '--url', c.httpUrl], ctx)).toBe(0);
    expect(ctx.out()).toMatch(new RegExp(`^synced ${good.id}: \\d+ records from `, 'm'));
    expect((await c.engine.getRun({ entity: 'local', project: 'off', runId: good.id }))?.lastStep).toBe(4);

    await using dir2 = await tempDir();
    const torn = await init({ mode: 'offline', project: 'off', dir: dir2.path, settings: { silent: true } });
    for (let i = 0; i < 5; i++) torn.log({ loss: i });
    await torn.finish();
    const walDir = join(torn.dir, 'wal');
    const [segment] = (await readdir(walDir)).sort();
    await appendFile(join(walDir, segment!), Buffer.from([0x10, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3]));
    const bad = testContext();
    expect(await runCli(['sync', dir2.path, '--url', c.httpUrl], bad)).toBe(1);
    expect(bad.out()).toMatch(new RegExp(`^FAILED ${torn.id}: \\d+ records uploaded`, 'm'));
    expect((await c.engine.getRun({ entity: 'local', project: 'off', runId: torn.id }))?.lastStep).toBe(4);
  });
});
