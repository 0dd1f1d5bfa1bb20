import { describe, expect, it } from 'vitest';
import { parseJobFailure } from '@cohort/protocol';
import { startWorker } from '../src/index.js';
import { addBatch, openTestRun, rowsRecords, testBackend } from './helpers.js';

describe('startWorker', () => {
  it('applies queued batches with the engine, and a retried or duplicated batch changes nothing twice', async () => {
    await using backend = await testBackend();
    const run = await openTestRun(backend.engine, 'r1');
    await using worker = await startWorker({ redisUrl: backend.redisUrl, postgresUrl: backend.db.url, prefix: backend.prefix, concurrency: 2 });
    const { events } = backend;
    const first = await addBatch(backend.queue, run, 1, rowsRecords(1, 5), 'a-1-5');
    expect(await first.waitUntilFinished(events, 10_000)).toEqual({ appliedSeq: 5, rejected: 0 });
    // The same records again under another id (a resend after the job was removed): the seq check skips them.
    const again = await addBatch(backend.queue, run, 1, rowsRecords(1, 5), 'b-1-5');
    expect(await again.waitUntilFinished(events, 10_000)).toEqual({ appliedSeq: 5, rejected: 0 });
    // An overlapping batch applies only what is new.
    const overlap = await addBatch(backend.queue, run, 4, rowsRecords(4, 4), 'c-4-7');
    expect(await overlap.waitUntilFinished(events, 10_000)).toEqual({ appliedSeq: 7, rejected: 0 });
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
    expect(await earlier.waitUntilFinished(events, 10_000)).toMatchObject({ appliedSeq: 3 });
    expect(await later.waitUntilFinished(events, 10_000)).toMatchObject({ appliedSeq: 6 });
    expect((await backend.engine.history(run)).map((r) => r['loss'])).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('fails a job with bad data or for an unknown run at once, naming the code', async () => {
    await using backend = await testBackend();
    const run = await openTestRun(backend.engine, 'r1');
    await using _worker = await startWorker({ redisUrl: backend.redisUrl, postgresUrl: backend.db.url, prefix: backend.prefix });
    const { events } = backend;
    const bad = await backend.queue.add('apply', { v: 1, entity: 'local', project: 'p', runId: 'r1', writer: '', firstSeq: 1, lastSeq: 1, records: ['!!'] }, { jobId: 'bad', attempts: 5 });
    const badFailure = await bad.waitUntilFinished(events, 10_000).then(
      () => undefined,
      (err: Error) => parseJobFailure(err.message),
    );
    expect(badFailure).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(badFailure?.message).toContain('job.data.records[0]');
    const missing = await addBatch(backend.queue, { ...run, runId: 'nope' }, 1, rowsRecords(1, 1), 'missing');
    const missingFailure = await missing.waitUntilFinished(events, 10_000).then(
      () => undefined,
      (err: Error) => parseJobFailure(err.message),
    );
    expect(missingFailure).toMatchObject({ code: 'NOT_FOUND' });
    // Permanent failures are not retried.
    expect((await backend.queue.getJob('missing'))?.attemptsMade).toBe(1);
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
    await expect(startWorker({ redisUrl: 'http://x', postgresUrl: 'postgres://x/y' })).rejects.toThrow('Expected `redisUrl` to be a redis:// URL, got `http://x`');
    await expect(startWorker({ redisUrl: 'redis://x', postgresUrl: 'postgres://x/y', concurrency: 0 })).rejects.toThrow(
      'Expected `concurrency` to be an integer from 1 to 1024, got `0` (number)',
    );
  });
});
