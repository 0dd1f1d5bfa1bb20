import { describe, expect, it } from 'vitest';
import { encodeBatchJobData, formatJobFailure, parseBatchJobData, parseJobFailure } from './batch-job.js';
import { encodeRecord } from './codec.js';

const writer = { entity: 'e', project: 'p', runId: 'r', writer: '' };
const exit = (seq: number) => encodeRecord({ seq, kind: 'exit', exit: { exitCode: 0, updateFinishState: true } });

describe('batch job data', () => {
  it('round-trips the encoded records through JSON', () => {
    const records = [exit(3), exit(4)];
    const data = JSON.parse(JSON.stringify(encodeBatchJobData(writer, 3, 4, records))) as unknown;
    const parsed = parseBatchJobData(data);
    expect(parsed).toMatchObject({ v: 1, ...writer, firstSeq: 3, lastSeq: 4 });
    expect(parsed.records.map((b) => new Uint8Array(Buffer.from(b, 'base64')))).toEqual(records.map((r) => new Uint8Array(r)));
  });

  it('names the field and the rule of bad data', () => {
    expect(() => parseBatchJobData({ ...encodeBatchJobData(writer, 1, 1, [exit(1)]), runId: '' })).toThrow(/^job\.data\.runId: /);
    expect(() => parseBatchJobData({ ...encodeBatchJobData(writer, 1, 1, [exit(1)]), records: ['%%'] })).toThrow(/job\.data\.records\[0\]: expected base64/);
    expect(() => parseBatchJobData(encodeBatchJobData(writer, 1, 5, [exit(1)]))).toThrow('job.data: seqs 1..5 name 5 records, but 1 came');
    expect(() => parseBatchJobData(encodeBatchJobData(writer, 1, 2, [exit(1), exit(2)]), { maxRecordsPerBatch: 1 } as never)).toThrow(
      'job.data.records: holds 2 records; at most 1 are allowed',
    );
  });

  it('carries an error code through a failure reason', () => {
    expect(parseJobFailure(formatJobFailure('NOT_FOUND', 'run: no run e/p/r'))).toEqual({ code: 'NOT_FOUND', message: 'run: no run e/p/r' });
    expect(parseJobFailure('job stalled more than allowable limit')).toEqual({ code: 'INTERNAL', message: 'job stalled more than allowable limit' });
    expect(parseJobFailure('[NOPE] x')).toEqual({ code: 'INTERNAL', message: '[NOPE] x' });
  });
});
