import { describe, expect, it } from 'vitest';
import type { RecordMessage } from '@cohort/protocol';
import { ApplyQueues, type RunRef } from './apply-queue.js';

const RUN: RunRef = { entity: 'local', project: 'p', runId: 'r' };
const exit = (seq: number): RecordMessage => ({ seq, kind: 'exit', exit: { exitCode: 0, updateFinishState: true } });

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ApplyQueues', () => {
  it('applies the batches of one run one at a time, in order', async () => {
    const order: number[] = [];
    let running = 0;
    let most = 0;
    const queues = new ApplyQueues(
      async (_run, records) => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 1));
        order.push(records[0]!.seq);
        running--;
        return { appliedSeq: records[0]!.seq };
      },
      { maxQueuedBatches: 100, maxQueuedBytes: 1 << 20 },
    );
    const acks = await Promise.all([1, 2, 3, 4, 5].map((seq) => queues.forRun(RUN).enqueue([exit(seq)], 10)));
    expect(acks).toEqual([1, 2, 3, 4, 5]);
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(most).toBe(1);
    expect(queues.activeRuns).toBe(0);
  });

  it('fails only the batch that failed', async () => {
    const queues = new ApplyQueues(
      async (_run, records) => {
        if (records[0]!.seq === 2) throw new Error('boom');
        return { appliedSeq: records[0]!.seq };
      },
      { maxQueuedBatches: 100, maxQueuedBytes: 1 << 20 },
    );
    const q = queues.forRun(RUN);
    const results = await Promise.allSettled([q.enqueue([exit(1)], 1), q.enqueue([exit(2)], 1), q.enqueue([exit(3)], 1)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('is full at its bounds until batches commit', async () => {
    const gate = deferred();
    const queues = new ApplyQueues(
      async (_run, records) => {
        await gate.promise;
        return { appliedSeq: records[0]!.seq };
      },
      { maxQueuedBatches: 2, maxQueuedBytes: 100 },
    );
    const q = queues.forRun(RUN);
    void q.enqueue([exit(1)], 10);
    expect(q.full).toBe(false);
    void q.enqueue([exit(2)], 10);
    expect(q.full).toBe(true);
    let woke = false;
    const waiting = q.whenNotFull().then(() => (woke = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(woke).toBe(false);
    gate.resolve();
    await waiting;
    expect(woke).toBe(true);

    const byBytes = queues.forRun({ ...RUN, runId: 'other' });
    void byBytes.enqueue([exit(1)], 200);
    expect(byBytes.full).toBe(true);
    await byBytes.drained();
  });

  it('merges waiting batches of one writer with contiguous seqs into one apply when asked to', async () => {
    const gate = deferred();
    const calls: Array<{ writer: string; seqs: number[]; raw: number }> = [];
    const queues = new ApplyQueues(
      async (run, records, raw) => {
        calls.push({ writer: run.writer, seqs: records.map((r) => r.seq), raw: raw.length });
        await gate.promise;
        return { appliedSeq: records.at(-1)!.seq };
      },
      { maxQueuedBatches: 100, maxQueuedBytes: 1 << 20, coalesceBatches: 3, coalesceRecords: 100 },
    );
    const q = queues.forRun(RUN);
    const raw = (seq: number) => [new Uint8Array([seq])];
    const acks = [
      q.enqueue([exit(1)], 1, '', raw(1)),
      q.enqueue([exit(2)], 1, '', raw(2)),
      q.enqueue([exit(3)], 1, '', raw(3)),
      q.enqueue([exit(4)], 1, '', raw(4)),
      q.enqueue([exit(5)], 1, '', raw(5)),
      q.enqueue([exit(1)], 1, 'w2'),
      q.enqueue([exit(7)], 1),
    ];
    await new Promise((r) => setTimeout(r, 5));
    gate.resolve();
    expect(await Promise.all(acks)).toEqual([1, 4, 4, 4, 5, 1, 7]);
    expect(calls).toEqual([
      { writer: '', seqs: [1], raw: 1 },
      // At most three, and the raw bytes travel along.
      { writer: '', seqs: [2, 3, 4], raw: 3 },
      { writer: '', seqs: [5], raw: 1 },
      // Another writer, then a seq gap: never merged.
      { writer: 'w2', seqs: [1], raw: 0 },
      { writer: '', seqs: [7], raw: 0 },
    ]);
  });
});
