import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeRecord, forEachRow, type RecordMessage } from '@cohort/protocol';
import { init } from './init.js';
import { recordingLogger } from './test-logger.js';
import { readWal } from './wal/wal-reader.js';

async function walRecords(runDir: string): Promise<{ records: RecordMessage[]; mode: string | undefined }> {
  const records: RecordMessage[] = [];
  let mode: string | undefined;
  for await (const seg of readWal(join(runDir, 'wal'))) {
    if (seg.corruption) throw seg.corruption;
    mode ??= seg.header?.open.mode;
    for (const e of seg.entries) records.push(decodeRecord(e.bytes));
  }
  return { records, mode };
}

describe('a run in offline mode', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cohort-offline-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes every record to the WAL in order and prints nothing', async () => {
    const logger = recordingLogger();
    const warn = vi.spyOn(console, 'warn');
    const log = vi.spyOn(console, 'log');
    const run = await init({ mode: 'offline', project: 'off', dir, config: { lr: 0.1 }, settings: { logger } });
    expect(run.dir.startsWith(dir)).toBe(true);
    expect(run.dir).toMatch(new RegExp(`run-\\d{8}_\\d{6}-${run.id}$`));
    run.log({ loss: 1 });
    run.log({ loss: 0.5, phase: 'train' });
    run.config.update({ batch: 8 });
    run.defineMetric('loss', { summary: 'min' });
    run.log({ loss: 0.25 }, { commit: false });
    await run.finish();
    expect(logger.lines).toEqual([]);
    expect(warn).not.toHaveBeenCalled();
    expect(log).not.toHaveBeenCalled();
    const { records, mode } = await walRecords(run.dir);
    expect(mode).toBe('offline');
    expect(records.map((r) => r.kind)).toEqual(['rows', 'config', 'metric', 'rows', 'exit']);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    const steps: number[] = [];
    for (const r of records) if (r.kind === 'rows') forEachRow(r.rows, (_i, step) => steps.push(step!));
    expect(steps).toEqual([0, 1, 2]);
    const exit = records[4]!;
    expect(exit.kind === 'exit' && exit.exit).toEqual({ exitCode: 0, updateFinishState: true, signal: '', error: '', crashed: false });
  });

  it('reports real status numbers from the WAL', async () => {
    const run = await init({ mode: 'offline', dir, settings: { silent: true } });
    expect(run.status()).toEqual({ syncItemsTotal: 0, syncItemsPending: 0, syncTime: null });
    run.log({ a: 1 });
    run.log({ a: 2 });
    run.summary.set('best', 3);
    expect(run.status()).toEqual({ syncItemsTotal: 2, syncItemsPending: 2, syncTime: null });
    await run.flush();
    await run.finish();
  });

  it('batches rows logged in one turn into one record', async () => {
    const run = await init({ mode: 'offline', dir, settings: { silent: true } });
    for (let i = 0; i < 500; i++) run.log({ i, sq: i * i });
    await run.finish();
    const { records } = await walRecords(run.dir);
    expect(records.map((r) => r.kind)).toEqual(['rows', 'exit']);
    const rows = records[0]!;
    expect(rows.kind === 'rows' && rows.rows.timestamps.length).toBe(500);
  });

  it('saves the id for resume "auto" and removes it after a clean finish', async () => {
    const first = await init({ mode: 'offline', dir, resume: 'auto', settings: { silent: true } });
    expect(JSON.parse(await readFile(join(dir, 'resume.json'), 'utf8'))).toEqual({ runId: first.id });
    await first.finish(1);
    const second = await init({ mode: 'offline', dir, resume: 'auto', settings: { silent: true } });
    expect(second.id).toBe(first.id);
    await second.finish(0);
    expect(await readdir(dir)).not.toContain('resume.json');
  });

  it('sends the exit code and the name, notes and tags updates', async () => {
    const run = await init({ mode: 'offline', dir, tags: ['a'], settings: { silent: true } });
    run.name = 'renamed';
    run.notes = 'n';
    run.tags = ['b', 'c'];
    run.markPreempting();
    run.alert('loss diverged', 'NaN at step 3', { level: 'WARN', waitDuration: 5 });
    await run.finish(2);
    const { records } = await walRecords(run.dir);
    expect(records.map((r) => r.kind)).toEqual(['runUpdate', 'runUpdate', 'runUpdate', 'preempting', 'alert', 'exit']);
    const alert = records[4]!;
    expect(alert.kind === 'alert' && alert.alert).toMatchObject({ title: 'loss diverged', level: 'WARN', waitDurationMs: 5000 });
    const exit = records[5]!;
    expect(exit.kind === 'exit' && exit.exit.exitCode).toBe(2);
    expect(run.tags).toEqual(['b', 'c']);
  });
});
