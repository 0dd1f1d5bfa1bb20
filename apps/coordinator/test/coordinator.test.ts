import { describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import { encodeRecord, emptyRows } from '@cohort/protocol';
import { startCoordinator } from '../src/index.js';
import { connect, getJson, openRun, rowsRecord, stream, tempDir } from './helpers.js';

const RUN = { project: 'proj', runId: 'run1' };

describe('coordinator over gRPC and HTTP', () => {
  it('acks committed seqs and serves the rows back over HTTP', async () => {
    await using c = await startCoordinator({ grpcPort: 0, httpPort: 0 });
    using client = connect(c.grpcAddress);
    const opened = await openRun(client, { ...RUN, name: 'first', configJson: '{"lr":0.1}' });
    expect(opened.appliedSeq).toBe(0);
    expect(opened.url).toBe(`${c.httpUrl}/local/proj/runs/run1`);

    const s = stream(client, RUN);
    await s.ackAtLeast(0);
    expect(s.acks[0]).toBe(0);
    s.write({ batch: { records: [rowsRecord(1, 0, 3), rowsRecord(2, 3, 2)] } });
    s.write({ batch: { records: [rowsRecord(3, 5, 5)] } });
    s.write({ heartbeat: { timestamp: Date.now() / 1000 } });
    await s.ackAtLeast(3);
    s.end();
    expect((await s.ended).code).toBe(status.OK);
    expect(s.acks).toEqual([0, 2, 3]);

    const history = await getJson(`${c.httpUrl}/api/v1/runs/local/proj/run1/history`);
    expect(history.status).toBe(200);
    expect(history.body.rows).toHaveLength(10);
    expect(history.body.rows[0]).toMatchObject({ _step: 0, loss: 1, train: { acc: 0 }, phase: 'train' });

    const sampled = await getJson(`${c.httpUrl}/api/v1/runs/local/proj/run1/history?keys=loss&samples=3&minStep=2&maxStep=8`);
    // 7 points, samples=3: one bucket keeps the rows of loss's max (step 2), min and last (step 8).
    expect(sampled.body.rows.map((r: { _step: number }) => r._step)).toEqual([2, 8]);

    const scan = await getJson(`${c.httpUrl}/api/v1/runs/local/proj/run1/history/scan?fromStep=0&pageSize=4`);
    expect(scan.body.rows).toHaveLength(4);
    expect(scan.body.nextStep).toBe(4);

    const run = await getJson(`${c.httpUrl}/api/v1/runs/local/proj/run1`);
    expect(run.body).toMatchObject({ id: 'run1', name: 'first', appliedSeq: 3, lastStep: 9, config: { lr: 0.1 }, url: opened.url });

    const runs = await getJson(`${c.httpUrl}/api/v1/runs/local/proj?filters=${encodeURIComponent('{"state":"running"}')}`);
    expect(runs.body.runs.map((r: { id: string }) => r.id)).toEqual(['run1']);
    const projects = await getJson(`${c.httpUrl}/api/v1/projects`);
    expect(projects.body.projects).toMatchObject([{ entity: 'local', project: 'proj', runCount: 1 }]);
  });

  it('acks a resent batch without duplicating rows', async () => {
    await using c = await startCoordinator({ grpcPort: 0, httpPort: 0 });
    using client = connect(c.grpcAddress);
    await openRun(client, RUN);
    const first = stream(client, RUN);
    first.write({ batch: { records: [rowsRecord(1, 0, 2), rowsRecord(2, 2, 2)] } });
    await first.ackAtLeast(2);
    first.cancel();

    // A reconnect that resends from an older ack: the server has it already.
    const second = stream(client, RUN);
    await second.ackAtLeast(2);
    second.write({ batch: { records: [rowsRecord(2, 2, 2), rowsRecord(3, 4, 1)] } });
    await second.ackAtLeast(3);
    second.end();
    expect((await second.ended).code).toBe(status.OK);
    expect(second.acks).toEqual([2, 3]);

    const history = await getJson(`${c.httpUrl}/api/v1/runs/local/proj/run1/history`);
    expect(history.body.rows.map((r: { _step: number }) => r._step)).toEqual([0, 1, 2, 3, 4]);
  });

  it('ends a stream with a malformed record with INVALID_ARGUMENT and keeps serving others', async () => {
    await using c = await startCoordinator({ grpcPort: 0, httpPort: 0 });
    using client = connect(c.grpcAddress);
    await openRun(client, RUN);
    const bad = { ...emptyRows(), keys: ['loss'], steps: [0], timestamps: [1], runtimes: [0], numCounts: [1], numKeys: [7], numValues: [1], jsonCounts: [0] };
    const s = stream(client, RUN);
    s.write({ batch: { records: [rowsRecord(1, 0, 1), Buffer.from(encodeRecord({ seq: 2, kind: 'rows', rows: bad }))] } });
    const end = await s.ended;
    expect(end.code).toBe(status.INVALID_ARGUMENT);
    expect(end.details).toBe('records[1].rows.numKeys[0]: key id 7 is out of range (1 keys)');

    // Nothing of that batch was applied, and another client is served.
    using other = connect(c.grpcAddress);
    const ok = stream(other, RUN);
    await ok.ackAtLeast(0);
    expect(ok.acks).toEqual([0]);
    ok.write({ batch: { records: [rowsRecord(1, 0, 1)] } });
    await ok.ackAtLeast(1);
    ok.end();
    expect((await ok.ended).code).toBe(status.OK);
  });

  it('refuses garbage bytes and a gap in seqs', async () => {
    await using c = await startCoordinator({ grpcPort: 0, httpPort: 0 });
    using client = connect(c.grpcAddress);
    await openRun(client, RUN);
    const garbage = stream(client, RUN);
    garbage.write({ batch: { records: [Buffer.from([0xff, 0xff, 0xff])] } });
    const g = await garbage.ended;
    expect(g.code).toBe(status.INVALID_ARGUMENT);
    expect(g.details).toMatch(/^records\[0\]: not a valid cohort\.v1\.Record/);

    const gap = stream(client, RUN);
    gap.write({ batch: { records: [rowsRecord(5, 0, 1)] } });
    expect((await gap.ended).code).toBe(status.FAILED_PRECONDITION);

    const jump = stream(client, RUN);
    jump.write({ batch: { records: [rowsRecord(1, 0, 1), rowsRecord(3, 1, 1)] } });
    const j = await jump.ended;
    expect(j.code).toBe(status.INVALID_ARGUMENT);
    expect(j.details).toBe('records[1].seq: expected 2 (one after records[0]), got 3');
  });

  it('answers RESOURCE_EXHAUSTED to an oversized message and keeps serving', async () => {
    await using c = await startCoordinator({ grpcPort: 0, httpPort: 0, limits: { maxMessageBytes: 64 * 1024 } });
    using client = connect(c.grpcAddress);
    await openRun(client, RUN);
    const big = stream(client, RUN);
    await big.ackAtLeast(0);
    big.write({ batch: { records: [rowsRecord(1, 0, 5000)] } });
    expect((await big.ended).code).toBe(status.RESOURCE_EXHAUSTED);

    const small = stream(client, RUN);
    small.write({ batch: { records: [rowsRecord(1, 0, 10)] } });
    await small.ackAtLeast(1);
    small.end();
    expect((await small.ended).code).toBe(status.OK);
  });

  it('answers RESOURCE_EXHAUSTED to a batch over the record count limit', async () => {
    await using c = await startCoordinator({ grpcPort: 0, httpPort: 0, limits: { maxRecordsPerBatch: 2 } });
    using client = connect(c.grpcAddress);
    await openRun(client, RUN);
    const s = stream(client, RUN);
    s.write({ batch: { records: [rowsRecord(1, 0, 1), rowsRecord(2, 1, 1), rowsRecord(3, 2, 1)] } });
    const end = await s.ended;
    expect(end.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(end.details).toMatch(/holds 3 records; at most 2/);
  });

  it('requires hello first and a run that exists', async () => {
    await using c = await startCoordinator({ grpcPort: 0, httpPort: 0 });
    using client = connect(c.grpcAddress);
    const noHello = stream(client);
    noHello.write({ batch: { records: [rowsRecord(1, 0, 1)] } });
    const end = await noHello.ended;
    expect(end.code).toBe(status.INVALID_ARGUMENT);
    expect(end.details).toBe('the first frame must be `hello`, got `batch`');

    const missing = stream(client, { project: 'nope', runId: 'nope' });
    const m = await missing.ended;
    expect(m.code).toBe(status.NOT_FOUND);
    expect(m.details).toMatch(/run local\/nope\/nope does not exist/);

    const emptyProject = stream(client, { project: '', runId: 'x' });
    const e = await emptyProject.ended;
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    expect(e.details).toBe('hello.project: must not be empty');
  });

  it('answers OpenRun errors with the code of the engine', async () => {
    await using c = await startCoordinator({ grpcPort: 0, httpPort: 0 });
    using client = connect(c.grpcAddress);
    await expect(openRun(client, { project: 'p', runId: 'r', resume: 'must' })).rejects.toMatchObject({ code: status.FAILED_PRECONDITION });
    await expect(openRun(client, { project: 'p', runId: 'r', tags: [''] })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'OpenRunRequest.tags[0]: tag must not be empty',
    });
  });

  it('serves its identity over gRPC and HTTP', async () => {
    await using c = await startCoordinator({ grpcPort: 0, httpPort: 0 });
    using client = connect(c.grpcAddress);
    const info = await new Promise<unknown>((resolve, reject) => client.GetServerInfo({}, (err, res) => (err ? reject(err) : resolve(res))));
    const expected = { grpcAddress: c.grpcAddress, httpUrl: c.httpUrl, defaultEntity: 'local', version: expect.any(String) };
    expect(info).toEqual(expected);
    expect((await getJson(`${c.httpUrl}/api/v1/info`)).body).toEqual(expected);
    expect((await getJson(`${c.httpUrl}/api/v1/health`)).body).toEqual({ ok: true });
  });

  it('applies overlapping batches of two streams of one run once each, in order', async () => {
    await using c = await startCoordinator({ grpcPort: 0, httpPort: 0, maxQueuedBatchesPerRun: 1 });
    using client = connect(c.grpcAddress);
    await openRun(client, RUN);
    const a = stream(client, RUN);
    const b = stream(client, RUN);
    await Promise.all([a.ackAtLeast(0), b.ackAtLeast(0)]);
    // Both send the same 30 batches (a reconnect that overlaps the old stream).
    for (let seq = 1; seq <= 30; seq++) {
      a.write({ batch: { records: [rowsRecord(seq, seq * 10, 10)] } });
      b.write({ batch: { records: [rowsRecord(seq, seq * 10, 10)] } });
    }
    await Promise.all([a.ackAtLeast(30), b.ackAtLeast(30)]);
    a.end();
    b.end();
    expect((await a.ended).code).toBe(status.OK);
    expect((await b.ended).code).toBe(status.OK);
    // Acks only move forward.
    expect(a.acks).toEqual([...a.acks].sort((x, y) => x - y));
    const history = await getJson(`${c.httpUrl}/api/v1/runs/local/proj/run1/history/scan?pageSize=10000`);
    const steps = history.body.rows.map((r: { _step: number }) => r._step);
    expect(steps).toEqual(Array.from({ length: 300 }, (_, i) => i + 10));
  });

  it('acks pending batches, then ends live streams with UNAVAILABLE on close', async () => {
    const c = await startCoordinator({ grpcPort: 0, httpPort: 0 });
    using client = connect(c.grpcAddress);
    await openRun(client, RUN);
    const s = stream(client, RUN);
    await s.ackAtLeast(0);
    s.write({ batch: { records: [rowsRecord(1, 0, 100)] } });
    await s.ackAtLeast(1);
    await c.close();
    const end = await s.ended;
    expect(end.code).toBe(status.UNAVAILABLE);
    await c.close(); // memoized
  });

  it('keeps the data of a data dir across a restart', async () => {
    await using dir = await tempDir();
    {
      await using c = await startCoordinator({ dataDir: dir.path, grpcPort: 0, httpPort: 0 });
      using client = connect(c.grpcAddress);
      await openRun(client, RUN);
      const s = stream(client, RUN);
      s.write({ batch: { records: [rowsRecord(1, 0, 4)] } });
      await s.ackAtLeast(1);
      s.end();
      await s.ended;
    }
    await using again = await startCoordinator({ dataDir: dir.path, grpcPort: 0, httpPort: 0 });
    const history = await getJson(`${again.httpUrl}/api/v1/runs/local/proj/run1/history`);
    expect(history.body.rows).toHaveLength(4);
  });
});
