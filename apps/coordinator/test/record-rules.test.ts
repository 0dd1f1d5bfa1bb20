import { describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import { checkRecord, decodeRecord, encodeRecord, withOpenRunDefaults, type RecordMessage } from '@cohort/protocol';
import { Engine } from '@cohort/engine';
import { openSqliteStore } from '@cohort/store';
import { startCoordinator } from '../src/index.js';
import { connect, openRun, rowsRecord, stream } from './helpers.js';

const RUN = { project: 'proj', runId: 'run1' };

/** Records the engine refuses, each refused at the input check first with the engine's own words (rules/record-rules.ts). */
const REFUSED: Array<[string, RecordMessage]> = [
  ['an empty alert level', { seq: 2, kind: 'alert', alert: { title: 't', text: 'x', level: '', waitDurationMs: 0, timestamp: 1 } }],
  ['a lower-case alert level', { seq: 2, kind: 'alert', alert: { title: 't', text: 'x', level: 'warn', waitDurationMs: 0, timestamp: 1 } }],
  ['a metric with an unknown summary option', { seq: 2, kind: 'metric', metric: { name: 'loss', stepMetric: '', stepSync: false, hidden: false, summary: 'min,median', goal: '', overwrite: false } }],
  ['a metric named with "*" inside', { seq: 2, kind: 'metric', metric: { name: 'a*b', stepMetric: '', stepSync: false, hidden: false, summary: '', goal: '', overwrite: false } }],
  ['a system sample short of values', { seq: 2, kind: 'system', system: { timestamp: 1, keys: ['system/a', 'system/b'], values: [1], label: '' } }],
];

/** Edge cases the input check lets through, which the engine must then apply. */
const ACCEPTED: RecordMessage[] = [
  { seq: 1, kind: 'config', config: { valuesJson: '', allowValChange: false, removed: [] } },
  { seq: 2, kind: 'summary', summary: { setJson: '', removed: [] } },
  { seq: 3, kind: 'metric', metric: { name: 'val/*', stepMetric: '', stepSync: false, hidden: false, summary: 'MIN,max', goal: 'maximize', overwrite: false } },
  { seq: 4, kind: 'alert', alert: { title: 't', text: '', level: 'ERROR', waitDurationMs: 0, timestamp: 0 } },
  { seq: 5, kind: 'system', system: { timestamp: 0, keys: [], values: [], label: '' } },
];

/** What the engine says of `record` when it is handed over without the input check. */
async function engineSays(record: RecordMessage): Promise<string> {
  await using engine = new Engine(openSqliteStore(':memory:'));
  await engine.openRun(withOpenRunDefaults({ ...RUN, rank: -1, localRank: -1 }));
  const { rejected } = await engine.applyBatch({ entity: 'local', ...RUN }, [{ ...decodeRecord(encodeRecord(record)), seq: 1 }]);
  expect(rejected).toHaveLength(1);
  return rejected[0]!.error.message;
}

describe('the input check and the engine', () => {
  it.each(REFUSED)('refuse %s with one message, the stream at its input check', async (_what, record) => {
    const engineMessage = await engineSays(record);
    expect(engineMessage).toMatch(/^(alert\.level|metric\.summary|metric\.name|system\.values): expected /);
    await using c = await startCoordinator({ grpcPort: 0, httpPort: 0 });
    using client = connect(c.grpcAddress);
    await openRun(client, RUN);
    const s = stream(client, RUN);
    s.write({ batch: { records: [rowsRecord(1, 0, 1), encodeRecord(record)] } });
    const end = await s.ended;
    expect(end.code).toBe(status.INVALID_ARGUMENT);
    expect(end.details).toBe(`records[1].${engineMessage}`);
    // Nothing of the batch was applied.
    expect(s.acks.filter((seq) => seq > 0)).toEqual([]);
  });

  it('apply what the input check lets through, edge cases included', async () => {
    const checked = ACCEPTED.map((r, i) => checkRecord(decodeRecord(encodeRecord(r)), `records[${i}]`));
    await using engine = new Engine(openSqliteStore(':memory:'));
    await engine.openRun(withOpenRunDefaults({ ...RUN, rank: -1, localRank: -1 }));
    const result = await engine.applyBatch({ entity: 'local', ...RUN }, checked);
    expect(result.rejected.map((r) => r.error.message)).toEqual([]);
    expect(result.appliedSeq).toBe(ACCEPTED.length);
  });
});
