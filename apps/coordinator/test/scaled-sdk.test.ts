import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Api, init } from '@cohort/sdk';
import { tempDir } from './helpers.js';
import { scaledCluster } from './scaled-helpers.js';

const quiet = { silent: true, flushIntervalMs: 5 } as const;

describe('scaled mode with the SDK', () => {
  let savedUrl: string | undefined;
  beforeEach(() => {
    savedUrl = process.env['COHORT_URL'];
  });
  afterEach(() => {
    if (savedUrl === undefined) delete process.env['COHORT_URL'];
    else process.env['COHORT_URL'] = savedUrl;
  });

  it('reads back exactly the rows and summary a run logged through a scaled coordinator and two workers', async () => {
    await using cluster = await scaledCluster({ coordinators: 2, workers: 2 });
    await using dir = await tempDir();
    const [first, second] = cluster.coordinators as [(typeof cluster.coordinators)[0], (typeof cluster.coordinators)[0]];
    process.env['COHORT_URL'] = first.httpUrl;
    const run = await init({ project: 'scaled', dir: dir.path, config: { lr: 0.1 }, settings: quiet });
    run.defineMetric('loss', { summary: 'min,max' });
    const logged: Array<{ loss: number; nested: { acc: number }; phase: string }> = [];
    for (let i = 0; i < 300; i++) {
      const row = { loss: 300 - i, nested: { acc: i / 300 }, phase: i % 2 ? 'odd' : 'even' };
      logged.push(row);
      run.log(row);
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 10));
    }
    run.summary.set('best', { epoch: 3 });
    run.config.update({ batch: 64 });
    const localSummary = run.summary.toJSON();
    await run.finish();

    // Read through the other coordinator: both serve the same PostgreSQL.
    const api = new Api({ baseUrl: second.httpUrl });
    const back = await api.run(`${run.entity}/scaled/${run.id}`);
    expect(back.state).toBe('finished');
    expect(back.config).toMatchObject({ lr: 0.1, batch: 64 });
    expect(back.summary).toEqual(localSummary);
    expect(back.summary).toMatchObject({ loss: { min: 1, max: 300 }, best: { epoch: 3 }, _step: 299 });
    const rows = [];
    for await (const row of back.scanHistory({ pageSize: 64 })) rows.push(row);
    expect(rows.map((r) => r['_step'])).toEqual(logged.map((_, i) => i));
    expect(rows.map((r) => ({ loss: r['loss'], nested: r['nested'], phase: r['phase'] }))).toEqual(logged);
    const completed = cluster.workers.reduce((n, w) => n + w.stats().completed, 0);
    expect(completed).toBeGreaterThan(0);
    expect(first.stats()).toMatchObject({ mode: 'scaled', queuedBatches: 0 });
  });

  it('serves /metrics, /healthz and /readyz, checking Redis and PostgreSQL', async () => {
    await using cluster = await scaledCluster({ coordinators: 1, workers: 1 });
    const url = cluster.coordinators[0]!.httpUrl;
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    for (const name of [
      'cohort_records_received_total',
      'cohort_records_committed_total',
      'cohort_commit_ack_seconds',
      'cohort_apply_seconds',
      'cohort_errors_total',
      'cohort_queue_jobs{queue="batches",state="waiting"}',
      'cohort_queue_lag_seconds{queue="batches"}',
      'cohort_record_streams',
      'process_cpu_seconds_total',
    ]) {
      expect(text).toContain(name);
    }
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ ok: true });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true, checks: { redis: 'ok', postgres: 'ok' } });
  });
});
