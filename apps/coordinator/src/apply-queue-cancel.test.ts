import { describe, expect, it } from 'vitest';
import type { RecordMessage } from '@cohort/protocol';
import { ApplyQueues, type RunRef } from './apply-queue.js';

const RUN: RunRef = { entity: 'local', project: 'p', runId: 'r' };
const exit = (seq: number): RecordMessage => ({ seq, kind: 'exit', exit: { exitCode: 0, updateFinishState: true } });

describe('ApplyQueues with a sender that goes away', () => {
  it('drops unapplied the batches of a stream that ended when their batch before failed', async () => {
    const applied: number[] = [];
    const queues = new ApplyQueues(
      async (_run, records) => {
        if (records[0]!.seq === 1) throw new Error('lost');
        applied.push(records[0]!.seq);
        return { appliedSeq: records[0]!.seq };
      },
      { maxQueuedBatches: 100, maxQueuedBytes: 1 << 20 },
    );
    const q = queues.forRun(RUN);
    // As a record stream does: the first failure ends the stream, in the reaction to the rejection.
    let ended = false;
    const send = (seq: number) => q.enqueue([exit(seq)], 1, '', [], () => ended).catch((err: unknown) => {
      ended = true;
      throw err;
    });
    const results = await Promise.allSettled([send(1), send(2), send(3)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'UNAVAILABLE' });
    expect(applied).toEqual([]);
    // The resend on a new stream applies.
    expect(await q.enqueue([exit(1)], 1, '', [], () => false).catch(() => 'failed')).toBe('failed');
    expect(await q.enqueue([exit(2)], 1, '', [], () => false)).toBe(2);
    expect(q.size).toBe(0);
  });
});
