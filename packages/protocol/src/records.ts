/**
 * TypeScript shapes of the messages in `packages/protocol/protos/cohort/v1/records.proto`, as
 * the codec (`codec.ts`) reads and writes them: camelCase fields, 64-bit
 * integers as numbers, absent repeated fields as empty arrays.
 */

/** Console lines of a run (`output.log`), see `ConsoleOutput` in records.proto. */
export interface ConsoleOutputMessage {
  timestamp: number;
  stream: 'stdout' | 'stderr';
  lines: string[];
  label: string;
}

export interface RowsMessage {
  keys: string[];
  steps: number[];
  timestamps: number[];
  runtimes: number[];
  numCounts: number[];
  numKeys: number[];
  numValues: number[];
  jsonCounts: number[];
  jsonKeys: number[];
  jsonValues: string[];
  label: string;
}

export interface ConfigUpdateMessage {
  valuesJson: string;
  allowValChange: boolean;
  removed: string[];
}

export interface SummaryUpdateMessage {
  setJson: string;
  removed: string[];
}

export interface MetricDefinitionMessage {
  name: string;
  stepMetric: string;
  stepSync: boolean;
  hidden: boolean;
  summary: string;
  goal: string;
  overwrite: boolean;
}

export interface RunUpdateMessage {
  name?: string;
  notes?: string;
  tags?: { tags: string[] };
}

export interface ExitMessage {
  exitCode: number;
  updateFinishState: boolean;
  /** The signal that ended the process (`SIGINT` → killed); `''` or absent when none. */
  signal?: string;
  /** The uncaught error's stack (message first); `''` or absent when none. */
  error?: string;
  /** The process vanished (kill -9): the run is crashed. */
  crashed?: boolean;
}

export interface AlertMessage {
  title: string;
  text: string;
  level: string;
  waitDurationMs: number;
  timestamp: number;
}

export interface SystemMetricsMessage {
  timestamp: number;
  keys: string[];
  values: number[];
  label: string;
}

/** One record: exactly one of the kinds is set. */
export type RecordMessage = { seq: number } & (
  | { kind: 'rows'; rows: RowsMessage }
  | { kind: 'config'; config: ConfigUpdateMessage }
  | { kind: 'summary'; summary: SummaryUpdateMessage }
  | { kind: 'metric'; metric: MetricDefinitionMessage }
  | { kind: 'runUpdate'; runUpdate: RunUpdateMessage }
  | { kind: 'exit'; exit: ExitMessage }
  | { kind: 'preempting'; preempting: Record<string, never> }
  | { kind: 'alert'; alert: AlertMessage }
  | { kind: 'system'; system: SystemMetricsMessage }
  | { kind: 'console'; console: ConsoleOutputMessage }
);

export type RecordKind = RecordMessage['kind'];

export interface OpenRunRequestMessage {
  entity: string;
  project: string;
  runId: string;
  name: string;
  group: string;
  jobType: string;
  tags: string[];
  notes: string;
  configJson: string;
  resume: string;
  resumeFrom: string;
  forkFrom: string;
  rank: number;
  worldSize: number;
  localRank: number;
  node: string;
  startTime: number;
  mode: string;
  label: string;
  primary: boolean;
  sweepId: string;
  host: string;
  offline: boolean;
  restartAttempt: number;
  /** A group claim: the job's key, the node's token and slot ('' for none; docs/distributed.md). */
  groupKey: string;
  groupToken: string;
  groupSlot: string;
}

export interface OpenRunResponseMessage {
  entity: string;
  project: string;
  runId: string;
  name: string;
  resumed: boolean;
  startingStep: number;
  runtimeOffset: number;
  appliedSeq: number;
  summaryStateJson: string;
  configJson: string;
  tags: string[];
  notes: string;
  group: string;
  jobType: string;
  url: string;
  startTime: number;
  state: string;
}

export interface WalHeaderMessage {
  formatVersion: number;
  open: OpenRunRequestMessage;
}

/** An empty Rows message, to fill column by column. */
export function emptyRows(): RowsMessage {
  return {
    keys: [],
    steps: [],
    timestamps: [],
    runtimes: [],
    numCounts: [],
    numKeys: [],
    numValues: [],
    jsonCounts: [],
    jsonKeys: [],
    jsonValues: [],
    label: '',
  };
}
