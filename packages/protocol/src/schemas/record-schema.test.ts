import { describe, expect, it } from 'vitest';
import { encodeRecord } from '../codec.js';
import { emptyRows, type RecordMessage, type RowsMessage } from '../records.js';
import { RowsBuilder } from '../rules/rows-codec.js';
import { resolveLimits } from './limits.js';
import { checkRecord, parseRecord } from './record-schema.js';

function rows(patch: Partial<RowsMessage> = {}): RowsMessage {
  return {
    ...emptyRows(),
    keys: ['loss', 'acc', 'media'],
    steps: [0, 1],
    timestamps: [10, 11],
    runtimes: [0.5, 1.5],
    numCounts: [2, 1],
    numKeys: [0, 1, 0],
    numValues: [NaN, 0.5, 0.25],
    jsonCounts: [1, 0],
    jsonKeys: [2],
    jsonValues: ['{"_type":"image","path":"a.png"}'],
    ...patch,
  };
}

function parseRows(patch: Partial<RowsMessage>, index = 3): RecordMessage {
  return parseRecord(encodeRecord({ seq: 1, kind: 'rows', rows: rows(patch) }), index);
}

describe('parseRecord', () => {
  it('accepts a consistent rows record and keeps NaN', () => {
    const record = parseRows({});
    expect(record.kind).toBe('rows');
    if (record.kind !== 'rows') throw new Error('kind');
    expect(record.rows.numValues[0]).toBeNaN();
    expect(record.rows.keys).toEqual(['loss', 'acc', 'media']);
  });

  it('accepts rows without steps (shared mode) and without JSON cells', () => {
    expect(() => parseRows({ steps: [], jsonCounts: [0, 0], jsonKeys: [], jsonValues: [] })).not.toThrow();
  });

  it('accepts what RowsBuilder builds', () => {
    const builder = new RowsBuilder();
    builder.add({ step: 0, timestamp: 1, data: { loss: 0.5, train: { acc: 0.9, phase: 'warmup' }, 'a.b': 1 } }, 0.1);
    builder.add({ step: 3, timestamp: 2, data: { loss: NaN, note: null } }, 0.2);
    expect(parseRecord(encodeRecord({ seq: 9, kind: 'rows', rows: builder.build() }), 0).seq).toBe(9);
  });

  it('names the record, the field and the rule for a key id out of range', () => {
    expect(() => parseRows({ numKeys: [0, 1, 40] })).toThrow('records[3].rows.numKeys[2]: key id 40 is out of range (3 keys)');
  });

  it('rejects counts that do not add up to the cells', () => {
    expect(() => parseRows({ numCounts: [2, 2] })).toThrow('records[3].rows.numKeys: holds 3 cells but numCounts adds up to 4');
  });

  it('rejects values that do not match the cells', () => {
    expect(() => parseRows({ numValues: [1, 2] })).toThrow('records[3].rows.numValues: holds 2 values but numKeys holds 3 cells');
  });

  it('rejects columns of different lengths', () => {
    expect(() => parseRows({ runtimes: [10] })).toThrow('records[3].rows.runtimes: has 1 entries but timestamps has 2: expected one per row');
    expect(() => parseRows({ steps: [1] })).toThrow('records[3].rows.steps: has 1 entries but timestamps has 2: expected none (shared mode) or one per row');
  });

  it('rejects steps that do not strictly increase', () => {
    expect(() => parseRows({ steps: [4, 4] })).toThrow('records[3].rows.steps[1]: steps must strictly increase within a record, got 4 after 4');
  });

  it('rejects fractional and negative steps', () => {
    expect(() => parseRows({ steps: [0.5, 1] })).toThrow(/rows\.steps\[0\]: step must be an integer from 0 and up, got 0.5/);
    expect(() => parseRows({ steps: [-1, 1] })).toThrow(/rows\.steps\[0\]/);
  });

  it('rejects a key twice in one row, across numbers and JSON', () => {
    expect(() => parseRows({ numKeys: [0, 0, 0] })).toThrow('records[3].rows.numKeys[1]: key "loss" appears twice in row 0');
    expect(() => parseRows({ jsonKeys: [0] })).toThrow('records[3].rows.jsonKeys[0]: key "loss" appears twice in row 0');
  });

  it('rejects a JSON cell that does not parse', () => {
    expect(() => parseRows({ jsonValues: ['{nope'] })).toThrow(/^records\[3\]\.rows\.jsonValues\[0\]: value is not valid JSON/);
  });

  it('rejects duplicate, too long and too deep keys', () => {
    expect(() => parseRows({ keys: ['loss', '_runtime', 'media'] })).toThrow('records[3].rows.keys[1]: key "_runtime" is automatic: it travels as a column, not a cell');
    expect(() => parseRows({ keys: ['loss', '', 'media'] })).toThrow('records[3].rows.keys[1]: key must be a non-empty leaf path');
    expect(() => parseRows({ keys: ['loss', 'loss', 'media'] })).toThrow('records[3].rows.keys[1]: key "loss" is listed twice (keys[0] and keys[1])');
    expect(() => parseRows({ keys: ['loss', 'x'.repeat(513), 'media'] })).toThrow(/rows\.keys\[1\]: key is 513 characters long; at most 512/);
    expect(() => parseRows({ keys: ['loss', Array(17).fill('a').join('.'), 'media'] })).toThrow(/rows\.keys\[1\]: .* has 17 path segments; at most 16/);
    // An escaped dot does not make a segment.
    expect(() => parseRows({ keys: ['loss', Array(17).fill('a').join('\\.'), 'media'] })).not.toThrow();
  });

  it('applies custom limits', () => {
    const limits = resolveLimits({ maxRowsPerRecord: 1 });
    const bytes = encodeRecord({ seq: 1, kind: 'rows', rows: rows() });
    expect(() => parseRecord(bytes, 0, limits)).toThrow('records[0].rows: holds 2 rows; at most 1 are allowed');
  });

  it('rejects seq 0', () => {
    expect(() => parseRecord(encodeRecord({ seq: 0, kind: 'preempting', preempting: {} }), 1)).toThrow('records[1].seq: seq must be an integer from 1 and up');
  });

  it('rejects bytes that are not a record, naming the record', () => {
    expect(() => parseRecord(new Uint8Array([0xff, 0xff, 0xff]), 5)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^records\[5\]: not a valid cohort\.v1\.Record/) }),
    );
  });

  it('checks config, summary, run updates and alerts', () => {
    const cfg = (valuesJson: string) => encodeRecord({ seq: 2, kind: 'config', config: { valuesJson, allowValChange: false, removed: [] } });
    expect(parseRecord(cfg('{"lr":0.1}'), 0).kind).toBe('config');
    expect(parseRecord(cfg(''), 0).kind).toBe('config');
    expect(() => parseRecord(cfg('[1]'), 0)).toThrow('records[0].config.valuesJson: must be a JSON object, got an array');

    const sum = encodeRecord({ seq: 2, kind: 'summary', summary: { setJson: '{"best":{"$cohort":"NaN"}}', removed: ['a.b'] } });
    expect(parseRecord(sum, 0).kind).toBe('summary');

    const tags = encodeRecord({ seq: 2, kind: 'runUpdate', runUpdate: { tags: { tags: ['ok', ''] } } });
    expect(() => parseRecord(tags, 0)).toThrow('records[0].runUpdate.tags.tags[1]: tag must not be empty');
    const name = parseRecord(encodeRecord({ seq: 2, kind: 'runUpdate', runUpdate: { name: 'n' } }), 0);
    expect(name).toEqual({ seq: 2, kind: 'runUpdate', runUpdate: { name: 'n' } });

    const alert = encodeRecord({ seq: 2, kind: 'alert', alert: { title: 't', text: '', level: 'LOUD', waitDurationMs: 0, timestamp: 1 } });
    expect(() => parseRecord(alert, 0)).toThrow('records[0].alert.level: expected one of INFO, WARN, ERROR, got `"LOUD"` (string)');
    // proto3's absent level ("") is refused here, by the engine's own rule (rules/record-rules.ts).
    const empty = encodeRecord({ seq: 2, kind: 'alert', alert: { title: 't', text: '', level: '', waitDurationMs: 0, timestamp: 1 } });
    expect(() => parseRecord(empty, 0)).toThrow('records[0].alert.level: expected one of INFO, WARN, ERROR, got `""` (string)');
    const system = encodeRecord({ seq: 2, kind: 'system', system: { timestamp: 1, keys: ['system/a', 'system/b'], values: [1], label: '' } });
    expect(() => parseRecord(system, 0)).toThrow('records[0].system.values: expected one value per key (2 keys), got 1');
  });

  it('checks a record built in memory', () => {
    const bad = { seq: 1, kind: 'rows', rows: { ...rows(), numKeys: ['x'] } } as unknown as RecordMessage;
    expect(() => checkRecord(bad, 'record')).toThrow(/^record\.rows\.numKeys/);
  });
});
