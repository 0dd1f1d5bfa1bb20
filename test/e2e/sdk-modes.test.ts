import { readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CohortError, UsageError, init, readWal, syncRunDir, type Logger } from '@cohort/sdk';
import { embeddedServer } from '../harness/embedded-server.js';

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, debug: () => {}, info: () => {}, warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
}

describe('SDK modes against a real coordinator', () => {
  const server = embeddedServer('test');

  it('lets shared-mode writers add rows to one run without steps', async () => {
    const id = `sh${Date.now().toString(36)}`;
    const logger = recordingLogger();
    const a = await init({ project: 'e2e-shared', id, mode: 'shared', dir: server.runsDir, settings: { logger, label: 'rank-1', updateFinishState: false } });
    expect(() => a.step).toThrow(UsageError);
    a.log({ x: 1 }, { step: 50 });
    a.log({ x: 2 });
    await a.finish();
    expect(logger.lines.filter((l) => l.includes('ignored in shared mode'))).toHaveLength(1);
    const mid = await server.api.run(`e2e-shared/${id}`);
    expect(mid.state).toBe('running');
    const b = await init({ project: 'e2e-shared', id, mode: 'shared', dir: server.runsDir, settings: { silent: true, label: 'rank-0', primary: true } });
    b.log({ y: 3 });
    await b.finish();
    const back = await server.api.run(`e2e-shared/${id}`);
    expect(back.state).toBe('finished');
    const rows = [];
    for await (const row of back.scanHistory()) rows.push(row);
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => r['x'] ?? r['y'])).toEqual([1, 2, 3]);
  });

  it('uploads the good prefix of a torn offline WAL and reports the tear', async () => {
    const run = await init({ project: 'e2e-torn', dir: server.runsDir, mode: 'offline', settings: { silent: true, flushIntervalMs: 1 } });
    run.log({ a: 1 });
    await run.flush();
    run.log({ a: 2 });
    await run.flush();
    run.log({ a: 3 });
    await run.finish();
    const segs: string[] = [];
    for await (const seg of readWal(join(run.dir, 'wal'))) segs.push(seg.file);
    const size = (await readFile(segs[0]!)).length;
    await truncate(segs[0]!, size - 3); // tear the exit record
    const [result] = await syncRunDir(run.dir);
    expect(result?.records).toBe(3);
    expect(result?.error).toMatch(/corrupt at byte \d+: torn frame/);
    const back = await server.api.run(`e2e-torn/${run.id}`);
    const rows = [];
    for await (const row of back.scanHistory()) rows.push(row['a']);
    expect(rows).toEqual([1, 2, 3]);
    expect(back.state).toBe('running');
  });

  it('fails init with UNAVAILABLE when no server answers', async () => {
    const saved = process.env['COHORT_URL'];
    process.env['COHORT_URL'] = 'http://127.0.0.1:9';
    try {
      await expect(init({ project: 'nowhere', dir: server.runsDir, settings: { silent: true, initTimeoutMs: 2000 } })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    } finally {
      process.env['COHORT_URL'] = saved;
    }
  });

  it('connects with a bare gRPC host:port', async () => {
    const saved = process.env['COHORT_URL'];
    process.env['COHORT_URL'] = server.coordinator.grpcAddress;
    try {
      const run = await init({ project: 'e2e-grpc', dir: server.runsDir, settings: { silent: true } });
      run.log({ a: 1 });
      await run.finish();
      expect(run.getUrl()).toContain('/e2e-grpc/runs/');
      expect(run.getProjectUrl()).toBe(`${server.coordinator.httpUrl}/${run.entity}/e2e-grpc`);
      expect((await server.api.run(`e2e-grpc/${run.id}`)).lastStep).toBe(0);
    } finally {
      process.env['COHORT_URL'] = saved;
    }
  });

  it('detaches without finishing and rejects bad resume moments', async () => {
    const run = await init({ project: 'e2e-detach', dir: server.runsDir, settings: { silent: true } });
    run.log({ a: 1 });
    await run.detach();
    expect(() => run.log({ a: 2 })).toThrow(/is detached/);
    const back = await server.api.run(`e2e-detach/${run.id}`);
    expect(back.state).toBe('running');
    await expect(init({ project: 'e2e-detach', forkFrom: 'nope', dir: server.runsDir, settings: { silent: true } })).rejects.toBeInstanceOf(CohortError);
  });

  it('forks a run from a step', async () => {
    const parent = await init({ project: 'e2e-fork', dir: server.runsDir, settings: { silent: true } });
    for (let i = 0; i < 10; i++) parent.log({ v: i });
    await parent.finish();
    const child = await init({ project: 'e2e-fork', forkFrom: `${parent.id}?_step=4`, dir: server.runsDir, settings: { silent: true } });
    expect(child.id).not.toBe(parent.id);
    expect(child.startingStep).toBe(5);
    expect(child.summary.get('v')).toBe(4);
    child.log({ v: 100 });
    await child.finish();
    const rows = [];
    for await (const row of (await server.api.run(`e2e-fork/${child.id}`)).scanHistory()) rows.push(row['v']);
    expect(rows).toEqual([0, 1, 2, 3, 4, 100]);
  });
});
