import { describe, expect, it } from 'vitest';
import { startCoordinator } from '@cohort/coordinator';
import { init } from '@cohort/sdk';
import { runCli } from '../src/index.js';
import { tempDir, testContext } from './helpers.js';

describe('cohort sync says what happened to each run', () => {
  it('exits 1 for a folder that does not exist', async () => {
    await using dir = await tempDir();
    const ctx = testContext();
    expect(await runCli(['sync', `${dir.path}/nonexistent`, '--url', 'http://127.0.0.1:9'], ctx)).toBe(1);
    expect(ctx.err()).toMatch(/^cohort sync: sync: \S+\/nonexistent is not a folder/);
  });

  it('names an online run whose WAL is empty, a run already synced, and uploads again to another server', async () => {
    await using a = await startCoordinator({ grpcPort: 0, httpPort: 0 });
    await using b = await startCoordinator({ grpcPort: 0, httpPort: 0 });
    await using dir = await tempDir();
    const settings = { silent: true, systemMetricsSeconds: 0, console: 'off' } as const;
    process.env['COHORT_URL'] = a.httpUrl;
    const online = await init({ project: 'sync-cli', dir: `${dir.path}/online`, settings });
    online.log({ x: 1 });
    await online.finish();
    const empty = testContext();
    expect(await runCli(['sync', online.dir, '--url', a.httpUrl], empty)).toBe(0);
    expect(empty.out()).toContain(`nothing to upload ${online.id}: the WAL of ${online.dir} is empty (every record was committed)\n`);

    const offline = await init({ project: 'sync-cli', mode: 'offline', dir: `${dir.path}/offline`, settings });
    for (let i = 0; i < 5; i++) offline.log({ x: i });
    await offline.finish();
    const first = testContext();
    expect(await runCli(['sync', offline.dir, '--url', a.httpUrl], first)).toBe(0);
    expect(first.out()).toMatch(new RegExp(`^synced ${offline.id}: [1-9]\\d* records from `, 'm'));
    // Not a terminal: no progress line.
    expect(first.err()).toBe('');
    const again = testContext();
    expect(await runCli(['sync', offline.dir, '--url', a.httpUrl], again)).toBe(0);
    expect(again.out()).toContain(`up to date ${offline.id}: the server already has every record of ${offline.dir}\n`);
    // synced.json names the server: another one gets every record, not "0 records" and no run.
    const other = testContext();
    expect(await runCli(['sync', offline.dir, '--url', b.httpUrl], other)).toBe(0);
    expect(other.out()).toMatch(new RegExp(`^synced ${offline.id}: [1-9]\\d* records from `, 'm'));
    expect((await b.engine.getRun({ entity: 'local', project: 'sync-cli', runId: offline.id }))?.lastStep).toBe(4);
  });

  it('draws its progress on a terminal, and only there', async () => {
    await using c = await startCoordinator({ grpcPort: 0, httpPort: 0 });
    await using dir = await tempDir();
    const run = await init({ project: 'sync-cli', mode: 'offline', dir: dir.path, settings: { silent: true, systemMetricsSeconds: 0, console: 'off', flushRows: 100 } });
    for (let i = 0; i < 2000; i++) run.log({ x: i });
    await run.finish();
    let terminal = '';
    const tty = testContext({ stderr: Object.assign({ write: (t: string) => (terminal += t) }, { isTTY: true }) });
    expect(await runCli(['sync', run.dir, '--url', c.httpUrl], tty)).toBe(0);
    const total = /^synced \S+: (\d+) records/m.exec(tty.out())?.[1];
    expect(terminal).toContain(`\r\x1b[Ksyncing ${run.id}: ${total} of ${total} records (100%)`);
    // The line is cleared before the results are printed.
    expect(terminal.endsWith('\r\x1b[K')).toBe(true);
  });
});
