import { describe, expect, it, vi } from 'vitest';
import { decodeRecord, parseJobFailure } from '@cohort/protocol';
import { startWorker } from '../src/index.js';
import { addBatch, addJob, openTestRun, rowsRecords, testBackend } from './helpers.js';

describe('startWorker', () => {
  it('applies queued batches with the engine, and a retried or duplicated batch changes nothing twice', async () => {
    await using backend = await testBackend();
    const run = await openTestRun(backend.engine, 'r1');
    await using worker = await startWorker({ redisUrl: backend.redisUrl, postgresUrl: backend.db.url, prefix: backend.prefix, concurrency: 2 });
    const { events } = backend;
    const first = await addBatch(backend.queue, run, 1, rowsRecords(1, 5), 'a-1-5');
    expect(await first.waitUntilFinished(events, 10_000)).toEqual({ results: [{ appliedSeq: 5, rejected: 0 }] });
    // The same records again under another id (a resend after the job was removed): the seq check skips them.
    const again = await addBatch(backend.queue, run, 1, rowsRecords(1, 5), 'b-1-5');
    expect(await again.waitUntilFinished(events, 10_000)).toEqual({ results: [{ appliedSeq: 5, rejected: 0 }] });
    // An overlapping batch applies only what is new.
    const overlap = await addBatch(backend.queue, run, 4, rowsRecords(4, 4), 'c-4-7');
    expect(await overlap.waitUntilFinished(events, 10_000)).toEqual({ results: [{ appliedSeq: 7, rejected: 0 }] });
    const rows = await backend.engine.history(run);
    expect(rows.map((r) => r['loss'])).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(worker.stats()).toMatchObject({ state: 'running', concurrency: 2, completed: 3, failedAttempts: 0 });
  });

  it('retries a batch that arrives before the one it follows, and applies both in seq order', async () => {
    await using backend = await testBackend();
    const run = await openTestRun(backend.engine, 'r1');
    await using worker = await startWorker({ redisUrl: backend.redisUrl, postgresUrl: backend.db.url, prefix: backend.prefix, retryInitialMs: 20, retryMaxMs: 50 });
    const { events } = backend;
    const later = await addBatch(backend.queue, run, 4, rowsRecords(4, 3), 'late-4-6');
    await new Promise((r) => setTimeout(r, 150));
    expect(worker.stats().failedAttempts).toBeGreaterThan(0);
    const earlier = await addBatch(backend.queue, run, 1, rowsRecords(1, 3), 'early-1-3');
    expect(await earlier.waitUntilFinished(events, 10_000)).toEqual({ results: [{ appliedSeq: 3, rejected: 0 }] });
    expect(await later.waitUntilFinished(events, 10_000)).toEqual({ results: [{ appliedSeq: 6, rejected: 0 }] });
    expect((await backend.engine.history(run)).map((r) => r['loss'])).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('fails a job whose data does not parse at once, naming the field', async () => {
    await using backend = await testBackend();
    await using _worker = await startWorker({ redisUrl: backend.redisUrl, postgresUrl: backend.db.url, prefix: backend.prefix });
    const batch = { entity: 'local', project: 'p', runId: 'r1', writer: '', firstSeq: 1, lastSeq: 1, records: ['!!'] };
    const bad = await backend.queue.add('apply', { v: 2, batches: [batch] }, { jobId: 'bad', attempts: 5 });
    const failure = await bad.waitUntilFinished(backend.events, 10_000).then(
      () => undefined,
      (err: Error) => parseJobFailure(err.message),
    );
    expect(failure).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(failure?.message).toContain('job.data.batches[0].records[0]');
    // Permanent failures are not retried.
    expect((await backend.queue.getJob('bad'))?.attemptsMade).toBe(1);
  });

  it('applies the batches of several runs in one job, and answers a permanent failure per batch with its code', async () => {
    await using backend = await testBackend();
    const [a, b] = [await openTestRun(backend.engine, 'r1'), await openTestRun(backend.engine, 'r2')];
    await using worker = await startWorker({ redisUrl: backend.redisUrl, postgresUrl: backend.db.url, prefix: backend.prefix });
    const job = await addJob(
      backend.queue,
      [
        { writer: a, firstSeq: 1, records: rowsRecords(1, 3) },
        { writer: { ...a, runId: 'nope' }, firstSeq: 1, records: rowsRecords(1, 1) },
        { writer: b, firstSeq: 1, records: rowsRecords(1, 2) },
        { writer: a, firstSeq: 4, records: rowsRecords(4, 2) },
      ],
      'gathered',
    );
    const result = await job.waitUntilFinished(backend.events, 10_000);
    expect(result).toEqual({
      results: [{ appliedSeq: 3, rejected: 0 }, { code: 'NOT_FOUND', message: expect.stringContaining('nope') }, { appliedSeq: 2, rejected: 0 }, { appliedSeq: 5, rejected: 0 }],
    });
    // Batches of one run in one job apply in the order given.
    expect((await backend.engine.history(a)).map((r) => r['loss'])).toEqual([1, 2, 3, 4, 5]);
    expect((await backend.engine.history(b)).map((r) => r['loss'])).toEqual([1, 2]);
    // A permanent failure of one batch fails neither the job nor the other batches.
    expect(worker.stats()).toMatchObject({ completed: 1, failedAttempts: 0 });
  });

  it('commits a job of many runs together, and a retry after one batch\'s gap changes nothing twice', async () => {
    await using backend = await testBackend();
    const runs = [];
    for (let i = 0; i < 12; i++) runs.push(await openTestRun(backend.engine, `r${i}`));
    const gap = await openTestRun(backend.engine, 'gap');
    // Half the runs have history (keys and small tails to merge), half have none.
    for (const run of runs.slice(0, 6)) await backend.engine.applyBatch(run, rowsRecords(1, 2).map((r) => decodeRecord(r)));
    await using worker = await startWorker({ redisUrl: backend.redisUrl, postgresUrl: backend.db.url, prefix: backend.prefix, retryInitialMs: 20, retryMaxMs: 50 });
    const job = await addJob(
      backend.queue,
      [
        ...runs.map((run, i) => (i < 6 ? { writer: run, firstSeq: 3, records: rowsRecords(3, 2) } : { writer: run, firstSeq: 1, records: rowsRecords(1, 4) })),
        { writer: gap, firstSeq: 3, records: rowsRecords(3, 1) },
      ],
      'many',
    );
    await vi.waitFor(() => expect(worker.stats().failedAttempts).toBeGreaterThan(0), { timeout: 10_000 });
    // The gap failed its batch alone: the other runs committed on the first attempt.
    expect((await backend.engine.history(runs[0]!)).map((r) => r['loss'])).toEqual([1, 2, 3, 4]);
    expect(await backend.engine.appliedSeq(gap)).toBe(0);
    const filler = await addBatch(backend.queue, gap, 1, rowsRecords(1, 2), 'gap-1-2');
    expect(await filler.waitUntilFinished(backend.events, 10_000)).toEqual({ results: [{ appliedSeq: 2, rejected: 0 }] });
    expect(await job.waitUntilFinished(backend.events, 10_000)).toEqual({
      results: [...runs.map(() => ({ appliedSeq: 4, rejected: 0 })), { appliedSeq: 3, rejected: 0 }],
    });
    for (const run of [...runs, gap]) {
      const rows = await backend.engine.history(run);
      expect(rows.map((r) => r['loss'])).toEqual(run === gap ? [1, 2, 3] : [1, 2, 3, 4]);
    }
  });

  it('serves /metrics, /healthz and /readyz on its HTTP port', async () => {
    await using backend = await testBackend();
    await using worker = await startWorker({ redisUrl: backend.redisUrl, postgresUrl: backend.db.url, prefix: backend.prefix, httpPort: 0 });
    expect(worker.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const metrics = await fetch(`${worker.httpUrl}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    for (const name of ['cohort_records_applied_total', 'cohort_apply_seconds', 'cohort_queue_wait_seconds', 'cohort_queue_jobs', 'cohort_errors_total']) expect(text).toContain(name);
    expect(await (await fetch(`${worker.httpUrl}/healthz`)).json()).toEqual({ ok: true });
    const ready = await fetch(`${worker.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true, checks: { redis: 'ok', postgres: 'ok' } });
    expect((await fetch(`${worker.httpUrl}/other`)).status).toBe(404);
  });

  it('refuses bad options with a message naming the option', async () => {
    await expect(startWorker({ redisUrl: 'http://x', postgresUrl: 'postgres://x/y' })).rejects.toThrow('Expected `redisUrl` to be a redis:// URL, redis+cluster://host:port,host:port,... or redis+sentinel://host:port,.../mastername, got `http://x`');
    await expect(startWorker({ redisUrl: 'redis://x', postgresUrl: 'postgres://x/y', concurrency: 0 })).rejects.toThrow(
      'Expected `concurrency` to be an integer from 1 to 1024, got `0` (number)',
    );
  });
});
