import { describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import { encodeRecord, RowsBuilder, type RecordMessage } from '@cohort/protocol';
import { Engine, type ApplyResult } from '@cohort/engine';
import { openSqliteStore, type RunKey } from '@cohort/store';
import { startCoordinator } from '../src/index.js';
import { connect, getJson, openRun, rowsRecord, stream } from './helpers.js';

const RUN = { project: 'proj', runId: 'run1' };

/** An engine whose applies take a while and are counted. */
class SlowEngine extends Engine {
  inFlight = 0;
  maxInFlight = 0;
  started = 0;
  failWith: Error | undefined;
  delayMs = 5;

  override async applyBatch(run: RunKey, records: readonly RecordMessage[]): Promise<ApplyResult> {
    this.started++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((r) => setTimeout(r, this.delayMs));
      if (this.failWith) throw this.failWith;
      return await super.applyBatch(run, records);
    } finally {
      this.inFlight--;
    }
  }
}

describe('StreamRecords', () => {
  it('acks everything pending before ending a half-closed stream with OK', async () => {
    await using c = await startCoordinator({ grpcPort: 0, httpPort: 0 });
    using client = connect(c.grpcAddress);
    await openRun(client, RUN);
    const s = stream(client, RUN);
    for (let seq = 1; seq <= 20; seq++) s.write({ batch: { records: [rowsRecord(seq, seq * 5, 5)] } });
    s.write({ heartbeat: { timestamp: 0 } });
    s.end();
    expect((await s.ended).code).toBe(status.OK);
    expect(s.acks.at(-1)).toBe(20);
    const run = await getJson(`${c.httpUrl}/api/v1/runs/local/proj/run1`);
    expect(run.body.appliedSeq).toBe(20);
    expect(run.body.heartbeatAt).toEqual(expect.any(Number));
  });

  it('stops reading while the run queue is full, one apply at a time', async () => {
    await using engine = new SlowEngine(openSqliteStore(':memory:'));
    await using c = await startCoordinator({ engine, grpcPort: 0, httpPort: 0, maxQueuedBatchesPerRun: 2 });
    using client = connect(c.grpcAddress);
    await openRun(client, RUN);
    const s = stream(client, RUN);
    let mostQueued = 0;
    const sampler = setInterval(() => (mostQueued = Math.max(mostQueued, c.stats().queuedBatches)), 1);
    for (let seq = 1; seq <= 30; seq++) s.write({ batch: { records: [rowsRecord(seq, seq * 5, 5)] } });
    await s.ackAtLeast(30);
    clearInterval(sampler);
    // The stream stopped reading at the bound instead of queueing all 30 batches.
    expect(mostQueued).toBeGreaterThan(0);
    expect(mostQueued).toBeLessThanOrEqual(2);
    s.end();
    await s.ended;
    expect(engine.maxInFlight).toBe(1);
  });

  it('answers INTERNAL without details for an unexpected engine failure and keeps serving', async () => {
    await using engine = new SlowEngine(openSqliteStore(':memory:'));
    await using c = await startCoordinator({ engine, grpcPort: 0, httpPort: 0 });
    using client = connect(c.grpcAddress);
    await openRun(client, RUN);
    engine.failWith = new Error('SQLITE_IOERR: /secret/path/cohort.db');
    const s = stream(client, RUN);
    s.write({ batch: { records: [rowsRecord(1, 0, 1)] } });
    const end = await s.ended;
    expect(end.code).toBe(status.INTERNAL);
    expect(end.details).toBe('internal error; the server log has the details');

    engine.failWith = undefined;
    const ok = stream(client, RUN);
    ok.write({ batch: { records: [rowsRecord(1, 0, 1)] } });
    await ok.ackAtLeast(1);
    ok.end();
    expect((await ok.ended).code).toBe(status.OK);
  });

  it('answers RESOURCE_EXHAUSTED past the most concurrent streams', async () => {
    await using c = await startCoordinator({ grpcPort: 0, httpPort: 0, maxStreams: 1 });
    using client = connect(c.grpcAddress);
    await openRun(client, RUN);
    const first = stream(client, RUN);
    await first.ackAtLeast(0);
    const second = stream(client, RUN);
    const end = await second.ended;
    expect(end.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(end.details).toMatch(/record streams: the server serves at most 1 at once/);
    first.end();
    expect((await first.ended).code).toBe(status.OK);
  });

  it('keeps one seq space per shared-mode writer', async () => {
    await using c = await startCoordinator({ grpcPort: 0, httpPort: 0 });
    using client = connect(c.grpcAddress);
    const sharedRows = (label: string, seq: number, value: number) => {
      const b = new RowsBuilder(label);
      b.add({ step: 0, timestamp: 1_700_000_000 + value, data: { [label]: value } }, value);
      return Buffer.from(encodeRecord({ seq, kind: 'rows', rows: b.build() }));
    };
    const a = await openRun(client, { ...RUN, mode: 'shared', label: 'a', primary: true });
    const b = await openRun(client, { ...RUN, mode: 'shared', label: 'b' });
    expect([a.appliedSeq, b.appliedSeq]).toEqual([0, 0]);
    const sa = stream(client, { ...RUN, label: 'a' });
    const sb = stream(client, { ...RUN, label: 'b' });
    sa.write({ batch: { records: [sharedRows('a', 1, 1), sharedRows('a', 2, 2)] } });
    sb.write({ batch: { records: [sharedRows('b', 1, 3)] } });
    await Promise.all([sa.ackAtLeast(2), sb.ackAtLeast(1)]);
    sa.end();
    sb.end();
    await Promise.all([sa.ended, sb.ended]);
    expect(sa.acks).toEqual([0, 2]);
    expect(sb.acks).toEqual([0, 1]);
    const again = stream(client, { ...RUN, label: 'b' });
    await again.ackAtLeast(1);
    expect(again.acks).toEqual([1]);
    again.end();
    await again.ended;
    const history = await getJson(`${c.httpUrl}/api/v1/runs/local/proj/run1/history`);
    expect(history.body.rows).toHaveLength(3);
  });

  it('refuses a second hello and an empty frame', async () => {
    await using c = await startCoordinator({ grpcPort: 0, httpPort: 0 });
    using client = connect(c.grpcAddress);
    await openRun(client, RUN);
    const twice = stream(client, RUN);
    twice.write({ hello: { entity: '', project: 'proj', runId: 'run1', label: '' } });
    const t = await twice.ended;
    expect(t.code).toBe(status.INVALID_ARGUMENT);
    expect(t.details).toBe('`hello` may only be the first frame of a stream');

    const empty = stream(client, RUN);
    empty.write({});
    const e = await empty.ended;
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    expect(e.details).toMatch(/holds no kind/);
  });
});
