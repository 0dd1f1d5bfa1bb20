import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alertsSchema, historySchema, parseJson, runPageSchema, runWithUrlSchema, seriesResultSchema, stateHistorySchema } from '@cohort/protocol';
import { Histogram, Image, init } from '@cohort/sdk';
import { embeddedServer } from '../harness/embedded-server.js';

const quiet = { silent: true, flushIntervalMs: 5 } as const;

/** The query API the dashboard reads (series, alerts, state history, live stream) through the SDK and raw HTTP. */
describe('the query API', () => {
  const server = embeddedServer('file');

  it('downsamples history to min, max and last per bucket, keeping a spike', async () => {
    const run = await init({ project: 'query', dir: join(server.runsDir, 'a'), settings: quiet, tags: ['q'] });
    run.log({ img: new Image([[0, 255]]) }, { commit: false });
    for (let i = 0; i < 5000; i++) run.log({ loss: i === 4321 ? 1000 : 1 / (i + 1) });
    run.alert('slow', 'it is slow');
    await run.finish();
    const back = await server.api.run(`query/${run.id}`);
    const { series, xAxis, buckets } = await back.series({ keys: ['loss'], samples: 100 });
    expect({ xAxis, buckets }).toEqual({ xAxis: '_step', buckets: 100 });
    expect(series['loss']!.x).toHaveLength(100);
    expect(Math.max(...series['loss']!.max)).toBe(1000);
    expect(series['loss']!.points).toBe(5000);
    const byTime = await back.series({ keys: ['loss'], samples: 10, xAxis: '_timestamp', minStep: 4000 });
    expect(byTime.series['loss']!.x[0]).toBeGreaterThan(1.7e9);
    expect(await back.alerts()).toMatchObject([{ title: 'slow', text: 'it is slow', level: 'INFO' }]);
    expect((await back.stateHistory()).map((e) => e.state)).toEqual(['running', 'finished']);
    expect((await server.api.runs('query', { filters: { tags: ['q'], state: 'finished', summary: { _step: 4999 } } })).map((r) => r.id)).toEqual([run.id]);
    // Real responses match the schemas docs/openapi.json is generated from.
    const base = `${server.coordinator.httpUrl}/api/v1/runs/local/query`;
    const body = async (url: string): Promise<unknown> => parseJson(await (await fetch(url)).text());
    runPageSchema.parse(await body(base));
    runWithUrlSchema.parse(await body(`${base}/${run.id}`));
    seriesResultSchema.parse(await body(`${base}/${run.id}/series`));
    alertsSchema.parse(await body(`${base}/${run.id}/alerts`));
    stateHistorySchema.parse(await body(`${base}/${run.id}/state-history`));
    // The image is a JSON leaf of the summary (naming its file), not a chart.
    expect(back.summary['img']).toMatchObject({ _type: 'image', format: 'png', path: expect.stringMatching(/^media\/images\//) });
  });

  it('downsamples history with the series bucketing: a spike in 100k steps keeps its row', { timeout: 60_000 }, async () => {
    const run = await init({ project: 'query', dir: join(server.runsDir, 'h'), settings: quiet });
    for (let i = 0; i < 100_000; i++) run.log({ loss: i === 76_543 ? 500 : 1 + (i % 7) / 100, lr: 0.1 });
    await run.finish();
    const back = await server.api.run(`query/${run.id}`);
    const rows = await back.history({ keys: ['loss'], samples: 100 });
    expect(rows.length).toBeLessThanOrEqual(100);
    expect(rows).toContainEqual({ _step: 76_543, loss: 500 });
    const ranged = await back.history({ keys: ['loss'], samples: 100, minStep: 70_000, maxStep: 80_000 });
    expect(ranged).toContainEqual({ _step: 76_543, loss: 500 });
    expect(ranged.every((r) => (r['_step'] as number) >= 70_000 && (r['_step'] as number) <= 80_000)).toBe(true);
    // Whole rows (W&B-shaped) by relative time.
    const byRuntime = await back.history({ samples: 90, xAxis: '_runtime' });
    expect(byRuntime.find((r) => r['_step'] === 76_543)).toMatchObject({ loss: 500, lr: 0.1, _runtime: expect.any(Number), _timestamp: expect.any(Number) });
    const runtimes = byRuntime.map((r) => r['_runtime'] as number);
    expect(runtimes).toEqual([...runtimes].sort((a, b) => a - b));
    historySchema.parse({ rows });
    const tooMany = await fetch(`${server.coordinator.httpUrl}/api/v1/runs/local/query/${run.id}/history?samples=100001`);
    expect(tooMany.status).toBe(400);
  });

  it('logs parameter and gradient histograms of a watched model every logFreq steps', async () => {
    const run = await init({ project: 'query', dir: join(server.runsDir, 'w'), settings: quiet });
    let scale = 1;
    const model = { namedParameters: () => [['fc.weight', [1, 2, 3].map((v) => v * scale), [0.1, -0.1, NaN]] as const] };
    run.watch(model, { log: 'all', logFreq: 2 });
    for (let i = 0; i < 4; i++) {
      scale = i + 1;
      run.log({ loss: i });
    }
    run.unwatch(model);
    run.log({ loss: 4 });
    await run.finish();
    const rows = await (await server.api.run(`query/${run.id}`)).history({ keys: ['parameters/fc\\.weight', 'gradients/fc\\.weight'] });
    expect(rows.map((r) => r['_step'])).toEqual([1, 3]);
    // Each histogram is a JSON file of the run, `{ bins, values }`.
    const file = async (d: unknown): Promise<{ bins: number[]; values: number[] }> => {
      expect(d).toMatchObject({ _type: 'histogram', numBins: 64 });
      const res = await fetch(`${server.coordinator.httpUrl}/api/v1/runs/local/query/${run.id}/files/${(d as { path: string }).path}`);
      return parseJson(await res.text()) as { bins: number[]; values: number[] };
    };
    const h = await file(rows[1]!['parameters/fc.weight']);
    expect(h.values).toHaveLength(64);
    expect([h.bins[0], h.bins[64]]).toEqual([4, 12]);
    expect((await file(rows[0]!['gradients/fc.weight'])).values.reduce((a, b) => a + b, 0)).toBe(2);
  });

  it('answers 400 naming a bad series parameter', async () => {
    const run = await init({ project: 'query', dir: join(server.runsDir, 'b'), settings: quiet });
    run.log({ h: new Histogram([1, 2, 3]) });
    await run.finish();
    const base = `${server.coordinator.httpUrl}/api/v1/runs/local/query/${run.id}`;
    for (const [query, message] of [
      ['buckets=0', 'query parameter `buckets`: expected an integer from 1 to 100000, got "0"'],
      ['minStep=5&maxStep=1', 'query parameter `minStep`: 5 is above maxStep 1'],
      ['samples=3', 'query parameter `samples` is not known here; expected `keys`, `buckets`, `xAxis`, `minStep`, `maxStep`'],
    ] as const) {
      const res = await fetch(`${base}/series?${query}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toBe(message);
    }
    expect((await fetch(`${server.coordinator.httpUrl}/api/v1/runs/local/query/nope/series`)).status).toBe(404);
    expect((await fetch(`${server.coordinator.httpUrl}/api/v1/runs/local/query/nope/stream`)).status).toBe(404);
  });

  it('streams run changes as server-sent events', async () => {
    const run = await init({ project: 'query', dir: join(server.runsDir, 'c'), settings: quiet });
    run.log({ x: 1 });
    await run.flush();
    const controller = new AbortController();
    const res = await fetch(`${server.coordinator.httpUrl}/api/v1/runs/local/query/${run.id}/stream`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    let text = '';
    const until = async (needle: string): Promise<void> => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${needle}`);
        text += new TextDecoder().decode(value);
      }
    };
    await until('event: run\n');
    run.log({ x: 2 });
    await run.flush();
    await until('event: history\ndata: {"fromStep":1,"toStep":1}');
    await run.finish();
    await until('"state":"finished"');
    controller.abort();
  });
});
