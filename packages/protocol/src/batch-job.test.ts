import { describe, expect, it } from 'vitest';
import { MAX_JOB_BATCHES, batchJobResultSchema, encodeBatchJobData, formatJobFailure, parseBatchJobData, parseJobFailure } from './batch-job.js';
import { encodeRecord } from './codec.js';

const writer = { entity: 'e', project: 'p', runId: 'r', writer: '' };
const exit = (seq: number) => encodeRecord({ seq, kind: 'exit', exit: { exitCode: 0, updateFinishState: true } });

describe('batch job data', () => {
  it('round-trips the batches of several runs through JSON', () => {
    const records = [exit(3), exit(4)];
    const other = { ...writer, runId: 'r2' };
    const data = JSON.parse(JSON.stringify(encodeBatchJobData([{ writer, firstSeq: 3, lastSeq: 4, records }, { writer: other, firstSeq: 1, lastSeq: 1, records: [exit(1)] }]))) as unknown;
    const parsed = parseBatchJobData(data);
    expect(parsed.v).toBe(2);
    expect(parsed.batches).toMatchObject([
      { ...writer, firstSeq: 3, lastSeq: 4 },
      { ...other, firstSeq: 1, lastSeq: 1 },
    ]);
    expect(parsed.batches[0]!.records.map((b) => new Uint8Array(Buffer.from(b, 'base64')))).toEqual(records.map((r) => new Uint8Array(r)));
  });

  it('names the field and the rule of bad data', () => {
    const one = (firstSeq: number, lastSeq: number, records: Uint8Array[]) => encodeBatchJobData([{ writer, firstSeq, lastSeq, records }]);
    const [batch] = one(1, 1, [exit(1)]).batches;
    expect(() => parseBatchJobData({ v: 2, batches: [{ ...batch, runId: '' }] })).toThrow(/^job\.data\.batches\[0\]\.runId: /);
    expect(() => parseBatchJobData({ v: 2, batches: [{ ...batch, records: ['%%'] }] })).toThrow(/job\.data\.batches\[0\]\.records\[0\]: expected base64/);
    expect(() => parseBatchJobData({ v: 2, batches: [] })).toThrow(/^job\.data\.batches: /);
    expect(() => parseBatchJobData({ v: 2, batches: Array.from({ length: MAX_JOB_BATCHES + 1 }, () => batch) })).toThrow(/^job\.data\.batches: /);
    expect(() => parseBatchJobData(one(1, 5, [exit(1)]))).toThrow('job.data.batches[0]: seqs 1..5 name 5 records, but 1 came');
    expect(() => parseBatchJobData(one(1, 2, [exit(1), exit(2)]), { maxRecordsPerBatch: 1 } as never)).toThrow(
      'job.data.batches[0].records: holds 2 records; at most 1 are allowed',
    );
  });

  it('reads a result per batch: applied, or failed with a code', () => {
    const parsed = batchJobResultSchema.parse({ results: [{ appliedSeq: 4, rejected: 0 }, { code: 'NOT_FOUND', message: 'run: no run e/p/r' }] });
    expect(parsed.results[1]).toEqual({ code: 'NOT_FOUND', message: 'run: no run e/p/r' });
    expect(batchJobResultSchema.safeParse({ results: [{ code: 'NOPE', message: 'x' }] }).success).toBe(false);
  });

  it('carries an error code through a failure reason', () => {
    expect(parseJobFailure(formatJobFailure('NOT_FOUND', 'run: no run e/p/r'))).toEqual({ code: 'NOT_FOUND', message: 'run: no run e/p/r' });
    expect(parseJobFailure('job stalled more than allowable limit')).toEqual({ code: 'INTERNAL', message: 'job stalled more than allowable limit' });
    expect(parseJobFailure('[NOPE] x')).toEqual({ code: 'INTERNAL', message: '[NOPE] x' });
  });
});
