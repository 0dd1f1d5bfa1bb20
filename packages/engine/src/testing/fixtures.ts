import { RowsBuilder, type OpenRunRequestMessage, type RecordMessage, type MetricDefinitionMessage, withOpenRunDefaults } from '@cohort/protocol';
import { openSqliteStore } from '@cohort/store';
import { Engine } from '../engine.js';

/** A clock for tests: seconds, moved by hand. */
export class FakeClock {
  constructor(public t = 1_700_000_000) {}
  readonly now = (): number => this.t;
}

/** An engine over a fresh in-memory SQLite store. */
export function makeEngine(clock = new FakeClock()): Engine {
  return new Engine(openSqliteStore(':memory:'), { now: clock.now });
}

/** An OpenRunRequest with defaults. */
export function openRequest(over: Partial<OpenRunRequestMessage> = {}): OpenRunRequestMessage {
  return withOpenRunDefaults({ project: 'proj', runId: 'run1', rank: -1, localRank: -1, ...over });
}

/** The key of the default test run. */
export const RUN = { entity: 'local', project: 'proj', runId: 'run1' };

/** A row for {@link RecordLog.rows}. */
export interface TestRow {
  step: number;
  data: Record<string, unknown>;
  timestamp?: number;
  runtime?: number;
}

/** Numbers records from 1 like the SDK does. */
export class RecordLog {
  seq = 0;
  constructor(start = 0) {
    this.seq = start;
  }
  rows(rows: TestRow[], label = ''): RecordMessage {
    const b = new RowsBuilder(label);
    for (const r of rows) b.add({ step: r.step, timestamp: r.timestamp ?? 1_700_000_000 + r.step, data: r.data }, r.runtime ?? r.step);
    return { seq: ++this.seq, kind: 'rows', rows: b.build() };
  }
  /** One row per data object, at consecutive steps from `from`. */
  log(from: number, ...data: Array<Record<string, unknown>>): RecordMessage {
    return this.rows(data.map((d, i) => ({ step: from + i, data: d })));
  }
  metric(name: string, over: Partial<MetricDefinitionMessage> = {}): RecordMessage {
    return {
      seq: ++this.seq,
      kind: 'metric',
      metric: { name, stepMetric: '', stepSync: false, hidden: false, summary: '', goal: '', overwrite: false, ...over },
    };
  }
  config(values: Record<string, unknown>, allowValChange = false, removed: string[] = []): RecordMessage {
    return { seq: ++this.seq, kind: 'config', config: { valuesJson: JSON.stringify(values), allowValChange, removed } };
  }
  summary(set: Record<string, unknown>, removed: string[] = []): RecordMessage {
    return { seq: ++this.seq, kind: 'summary', summary: { setJson: JSON.stringify(set), removed } };
  }
  exit(exitCode: number, updateFinishState = true): RecordMessage {
    return { seq: ++this.seq, kind: 'exit', exit: { exitCode, updateFinishState } };
  }
  preempting(): RecordMessage {
    return { seq: ++this.seq, kind: 'preempting', preempting: {} };
  }
  alert(title: string, timestamp: number, waitDurationMs = 0): RecordMessage {
    return { seq: ++this.seq, kind: 'alert', alert: { title, text: 'text', level: 'WARN', waitDurationMs, timestamp } };
  }
}
