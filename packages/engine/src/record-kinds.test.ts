import { join } from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '@cohort/store';
import {
  PROTO_FILES,
  RECORD_KINDS,
  RowsBuilder,
  checkRecord,
  decodeRecord,
  encodeRecord,
  protosDir,
  withOpenRunDefaults,
  type RecordKind,
  type RecordMessage,
} from '@cohort/protocol';
import { Engine } from './engine.js';

const RUN = { entity: 'local', project: 'p', runId: 'r' };

/** One valid record of each kind: the type makes the table complete, the test below makes it match the proto. */
function samples(): { [K in RecordKind]: RecordMessage } {
  const rows = new RowsBuilder();
  rows.add({ step: 0, timestamp: 1_700_000_000, data: { loss: 1, phase: 'a' } }, 0);
  return {
    rows: { seq: 1, kind: 'rows', rows: rows.build() },
    config: { seq: 2, kind: 'config', config: { valuesJson: '{"lr":0.1}', allowValChange: false, removed: [] } },
    summary: { seq: 3, kind: 'summary', summary: { setJson: '{"best":1}', removed: [] } },
    metric: { seq: 4, kind: 'metric', metric: { name: 'loss', stepMetric: '', stepSync: false, hidden: false, summary: 'min', goal: '', overwrite: false } },
    runUpdate: { seq: 5, kind: 'runUpdate', runUpdate: { notes: 'n' } },
    preempting: { seq: 6, kind: 'preempting', preempting: {} },
    alert: { seq: 7, kind: 'alert', alert: { title: 't', text: 'x', level: 'WARN', waitDurationMs: 0, timestamp: 1_700_000_000 } },
    system: { seq: 8, kind: 'system', system: { timestamp: 1_700_000_000, keys: ['system/cpu_percent'], values: [5], label: '' } },
    console: { seq: 9, kind: 'console', console: { timestamp: 1_700_000_000, stream: 'stdout', lines: ['hi'], label: '' } },
    exit: { seq: 10, kind: 'exit', exit: { exitCode: 0, updateFinishState: true } },
  };
}

/** The fields of the `kind` oneof of `cohort.v1.Record`, as the proto declares them (camelCase, like the codec). */
function protoKinds(): string[] {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : join(protosDir(), target));
  root.loadSync(PROTO_FILES.map((f) => join(protosDir(), f)));
  return root.lookupType('cohort.v1.Record').oneofs['kind']!.fieldsArray.map((f) => f.name);
}

describe('record kinds', () => {
  it('are the oneof of records.proto, each with a sample here', () => {
    expect([...RECORD_KINDS].sort()).toEqual(protoKinds().sort());
    expect(Object.keys(samples()).sort()).toEqual(protoKinds().sort());
  });

  it('each pass the codec and the input check, and the engine applies each of them', async () => {
    await using engine = new Engine(openSqliteStore(':memory:'), { now: () => 1_700_000_001 });
    await engine.openRun(withOpenRunDefaults({ project: 'p', runId: 'r', rank: -1, localRank: -1 }));
    const records = Object.values(samples()).sort((a, b) => a.seq - b.seq);
    const checked = records.map((r, i) => checkRecord(decodeRecord(encodeRecord(r)), `records[${i}]`));
    expect(checked.map((r) => r.kind)).toEqual(records.map((r) => r.kind));
    const result = await engine.applyBatch(RUN, checked);
    expect(result.rejected).toEqual([]);
    expect(result.appliedSeq).toBe(records.length);
    expect(await engine.getRun(RUN)).toMatchObject({ state: 'finished', notes: 'n', lastStep: 0 });
  });

  it('a kind the engine does not know is refused INTERNAL, naming it, and the batch still applies', async () => {
    await using engine = new Engine(openSqliteStore(':memory:'));
    await engine.openRun(withOpenRunDefaults({ project: 'p', runId: 'r', rank: -1, localRank: -1 }));
    const unknown = { seq: 1, kind: 'hologram', hologram: {} } as unknown as RecordMessage;
    const result = await engine.applyBatch(RUN, [unknown]);
    expect(result.appliedSeq).toBe(1);
    expect(result.rejected.map((r) => [r.seq, r.error.code, r.error.message])).toEqual([[1, 'INTERNAL', 'record kind: `"hologram"` (string) is not handled']]);
  });
});
