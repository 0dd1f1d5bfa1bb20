import { describe, expect, it } from 'vitest';
import { emptyRows, type RecordMessage, type RowsMessage } from '../records.js';
import { DEFAULT_LIMITS, LIMIT_NAMES, parseLimitOverrides, resolveLimits } from './limits.js';
import { parseOpenRunRequest } from './open-run-schema.js';
import { checkRecord } from './record-schema.js';
import { withOpenRunDefaults } from '../index.js';

/** One row with one numeric and one JSON cell. */
function rowsRecord(patch: Partial<RowsMessage>): RecordMessage {
  const rows: RowsMessage = { ...emptyRows(), keys: ['loss', 'text'], steps: [0], timestamps: [1], runtimes: [0], numCounts: [1], numKeys: [0], numValues: [1], jsonCounts: [1], jsonKeys: [1], jsonValues: ['"hi"'], ...patch };
  return { seq: 1, kind: 'rows', rows };
}

describe('limits', () => {
  it('has a default for every limit the issue names', () => {
    expect(DEFAULT_LIMITS).toMatchObject({
      maxMessageBytes: 16 * 1024 * 1024,
      maxRecordsPerBatch: 10_000,
      maxKeysPerRecord: 10_000,
      maxKeyLength: 512,
      maxDepth: 16,
      maxValueLength: 1024 * 1024,
      maxFileBytes: 5 * 1024 ** 3,
      maxRunsPerProject: 100_000,
      maxKeysPerRun: 20_000,
      maxSummaryBytes: 8 * 1024 * 1024,
    });
    expect(LIMIT_NAMES).toEqual(Object.keys(DEFAULT_LIMITS));
  });

  it('keeps maxTagLength within the Run API\'s tag rule, which the engine applies', () => {
    expect(resolveLimits({ maxTagLength: 32 }).maxTagLength).toBe(32);
    expect(() => resolveLimits({ maxTagLength: 65 })).toThrow('Expected `maxTagLength` to be a positive integer of at most 64');
  });

  it('names an unknown limit and lists the known ones', () => {
    expect(() => resolveLimits({ maxBogus: 1 } as never)).toThrow(/^Expected a limit named one of maxMessageBytes, .*maxRunsPerProject, maxKeysPerRun, maxSummaryBytes, got `maxBogus`$/);
  });

  it('reads --limit overrides with separators and binary units', () => {
    expect(parseLimitOverrides(['maxRunsPerProject=500', 'maxFileBytes=2GiB', 'maxKeysPerRecord=20_000', 'maxMessageBytes=64MiB', 'maxAlertTextBytes=8KiB'])).toEqual({
      maxRunsPerProject: 500,
      maxFileBytes: 2 * 1024 ** 3,
      maxKeysPerRecord: 20_000,
      maxMessageBytes: 64 * 1024 ** 2,
      maxAlertTextBytes: 8 * 1024,
    });
    expect(parseLimitOverrides([])).toEqual({});
  });

  it('refuses a malformed, unknown or non-positive --limit, naming it', () => {
    expect(() => parseLimitOverrides(['maxRunsPerProject'])).toThrow('Expected `--limit` as name=positive integer (e.g. maxRunsPerProject=500), got `maxRunsPerProject`');
    expect(() => parseLimitOverrides(['maxRunsPerProject=-1'])).toThrow(/got `maxRunsPerProject=-1`/);
    expect(() => parseLimitOverrides(['maxRunsPerProject=1.5'])).toThrow(/got `maxRunsPerProject=1.5`/);
    expect(() => parseLimitOverrides(['maxRuns=5'])).toThrow(/^Expected `--limit` to name one of maxMessageBytes, .* got `maxRuns`$/);
    expect(() => parseLimitOverrides(['maxRunsPerProject=0'])).toThrow(/`maxRunsPerProject` to be a positive integer/);
    expect(() => parseLimitOverrides(['maxFileBytes=99999999GiB'])).toThrow(/`maxFileBytes` to be a positive integer/);
  });

  it('refuses a record past each limit with an error naming the field and the limit', () => {
    const limits = resolveLimits({ maxKeysPerRecord: 2, maxKeyLength: 8, maxDepth: 3, maxValueLength: 10, maxRowsPerRecord: 1, maxConfigJsonLength: 20 });
    const check = (record: RecordMessage) => () => checkRecord(record, 'records[3]', limits);
    expect(check(rowsRecord({ keys: ['a', 'b', 'c'] }))).toThrow('records[3].rows.keys: holds 3 keys; at most 2 are allowed (maxKeysPerRecord)');
    expect(check(rowsRecord({ keys: ['long-key-x', 'text'] }))).toThrow('records[3].rows.keys[0]: key is 10 characters long; at most 8 are allowed (maxKeyLength)');
    expect(check(rowsRecord({ keys: ['a.b.c.d', 'text'] }))).toThrow('records[3].rows.keys[0]: key "a.b.c.d" has 4 path segments; at most 3 are allowed (maxDepth)');
    expect(check(rowsRecord({ jsonValues: ['"0123456789"'] }))).toThrow('records[3].rows.jsonValues[0]: value is 12 characters long; at most 10 are allowed (maxValueLength)');
    expect(check(rowsRecord({ jsonValues: ['[[[[1]]]]'] }))).toThrow('records[3].rows.jsonValues[0]: value nests deeper than 3 levels (maxDepth)');
    expect(check(rowsRecord({ steps: [0, 1], timestamps: [1, 2], runtimes: [0, 0], numCounts: [1, 1], numKeys: [0, 0], numValues: [1, 2], jsonCounts: [0, 1] }))).toThrow(
      'records[3].rows: holds 2 rows; at most 1 are allowed (maxRowsPerRecord)',
    );
    expect(check({ seq: 1, kind: 'config', config: { valuesJson: '{"a":"0123456789abcdef"}', allowValChange: false, removed: [] } })).toThrow(
      'records[3].config.valuesJson: is 24 characters long; at most 20 are allowed (maxConfigJsonLength)',
    );
    expect(() => parseOpenRunRequest(withOpenRunDefaults({ project: 'p', configJson: '{"a":{"b":{"c":{"d":1}}}}' }), limits)).toThrow(
      'OpenRunRequest.configJson: is 25 characters long; at most 20 are allowed (maxConfigJsonLength)',
    );
  });
});
