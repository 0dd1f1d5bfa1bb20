import { performance } from 'node:perf_hooks';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import {
  CohortError,
  ConfigState,
  SummaryTracker,
  DEFAULT_ALERT_WAIT_MS,
  alertLevelIssue,
  assertNever,
  exitCodeIssue,
  metricDefinitionIssue,
  systemValuesIssue,
  isAlertSuppressed,
  isPlainObject,
  parseJson,
  stringifyJson,
  validateRows,
  validateTags,
  type ExitMessage,
  type MetricDefinitionMessage,
  type RecordMessage,
  type RowLeaf,
  type RowsMessage,
  type SummaryState,
} from '@cohort/protocol';
import { isAggregatedKey, type BatchWrite, type ConsoleChunk, type JsonSeries, type NewAlert, type NewRunEvent, type NumericSeries, type RankProgress, type RunPatch, type RunState, type StoredRun, type SystemSample } from '@cohort/store';
import { RunBudget, type RunLimits } from './run-budget.js';
import type { WrittenSummaryState } from './summary-state-cache.js';
import { readMetricDefinitions, readObjectColumn, readSummaryState } from './stored-state.js';

/** Keys every row carries in its own column; a cell with one of these names is ignored. */
const AUTOMATIC_KEYS = new Set(['_step', '_runtime', '_timestamp']);

/** Throws INVALID_ARGUMENT `field: issue` when a shared rule (@cohort/protocol record-rules) answered an issue. */
function refuse(field: string, issue: string | undefined): void {
  if (issue !== undefined) throw new CohortError('INVALID_ARGUMENT', `${field}: ${issue}`);
}

/** A record of a batch that could not be applied; the others were. */
export interface RejectedRecord {
  seq: number;
  error: CohortError;
}

/** What {@link Engine.applyBatch} did. */
export interface ApplyResult {
  /** The run's applied seq after the batch: the client may drop its records up to here. */
  appliedSeq: number;
  /** Rows dropped because their step was not above the run's last stored step (docs/run-semantics.md §1). */
  droppedRows: number;
  /** Records refused with their error (a config change without `allowValChange`, a bad definition...). */
  rejected: RejectedRecord[];
}

/** The context a batch is planned in. */
export interface PlanContext {
  /** Now, in seconds since the epoch. */
  now: number;
  /** The latest unsuppressed alert with this title before this batch (time in seconds), if any. */
  lastAlertAt(title: string): Promise<number | undefined>;
  /** The run's bounds (`maxKeysPerRun`, `maxSummaryBytes`). */
  limits: RunLimits;
  /** The run's progress as stored (group members and restarted runs), if any. */
  progress?: RankProgress | undefined;
  /** Seconds between two progress samples of a run. @defaultValue 1 */
  progressSampleSeconds?: number;
  /**
   * The run's stored summary state (`summaryStateJson` parsed, or kept from
   * an earlier batch), `undefined` before its first batch. Shared: the
   * planner only reads it, to build its own tracker.
   */
  summaryState(): SummaryState | undefined;
  /** The summary of the run's rows up to `step`, for a replay rewind. */
  replaySummary?(step: number): Promise<{ summaryJson: string; summaryStateJson: string; lastStep: number | null; runtime: number }>;
}

/**
 * Planning yields to the event loop after this many milliseconds of work, so
 * a batch of 10,000 records does not hold health checks and other tenants'
 * requests for its whole length (docs/SECURITY.md, "Streams").
 */
const YIELD_AFTER_MS = 8;

/** Most progress samples kept per run (`[at, step]` pairs). */
const MAX_PROGRESS_SAMPLES = 64;

/** A planned batch: the one write to commit, and what to report. */
export interface BatchPlan {
  write: BatchWrite;
  droppedRows: number;
  /** Records left out with their error; the write holds the others. */
  rejected: RejectedRecord[];
  /** The summary state the write stores in `summaryStateJson`, when it stores one. */
  summaryState?: WrittenSummaryState;
}

interface SeriesBuilder {
  steps: Float64Array[];
  values: Float64Array[];
  /** Cells added out of column order (stepSync insertions), steps ascending. */
  extraSteps: number[];
  extraValues: number[];
}

/**
 * Plans the write of one batch of a run: the records (seq order, all above the
 * stored applied seq) applied to the run's stored state. Pure apart from the
 * alert look-ups: nothing is written here.
 *
 * One pass, however many records fail: each record is checked in full before
 * it changes anything of the plan, so a record that fails is left out (and
 * reported in `rejected`) and the plan is the one the batch without it would
 * give. A batch with k bad records costs one planning, not k + 1.
 */
export async function planBatch(run: StoredRun, records: readonly RecordMessage[], ctx: PlanContext): Promise<BatchPlan> {
  const now = ctx.now;
  const patch: RunPatch = { heartbeatAt: now };
  const events: NewRunEvent[] = [];
  const alerts: NewAlert[] = [];
  const numeric = new Map<string, SeriesBuilder>();
  const json = new Map<string, JsonSeries>();
  let state: RunState = run.state;
  let lastStep = run.lastStep;
  let runtime = run.runtime;
  let droppedRows = 0;
  const rejected: RejectedRecord[] = [];
  const budget = new RunBudget(run.summaryJson.length, ctx.limits);
  let tracker: SummaryTracker | undefined;
  let summaryChanged = false;
  let config: ConfigState | undefined;
  let metrics: MetricDefinitionMessage[] | undefined;
  const lastAlerts = new Map<string, number | undefined>();

  const getTracker = (): SummaryTracker => (tracker ??= SummaryTracker.fromJSON(ctx.summaryState()));
  const setState = (next: RunState, detail: string): void => {
    if (next === state) return;
    state = next;
    events.push({ state: next, at: now, detail });
  };

  // A crashed run that sends records again is alive, unless the records end it (an upload of a dead process's WAL: docs/sdk.md).
  if (state === 'crashed' && !records.some((r) => r.kind === 'exit' && r.exit.updateFinishState)) {
    setState('running', 'records arrived after the run was marked crashed');
  }
  let replayArmed = ctx.progress?.replayArmed === true;
  let rewindAfter: number | undefined;
  let system: SystemSample[] | undefined;
  let consoleChunks: ConsoleChunk[] | undefined;

  let slice = performance.now();
  for (const record of records) {
    if (performance.now() - slice > YIELD_AFTER_MS) {
      await yieldTurn();
      slice = performance.now();
    }
    try {
      switch (record.kind) {
        case 'rows': {
          // Checked (shape and every JSON cell) before the replay below or the tracker sees any of it.
          const cells = checkedRows(record.rows);
          budget.admitRows(getTracker(), record.rows);
          if (replayArmed) {
            // The first rows of a later restart attempt: replayed steps rewind the run instead of being dropped.
            replayArmed = false;
            const first = record.rows.steps[0];
            if (first !== undefined && lastStep !== null && first <= lastStep && ctx.replaySummary && numeric.size === 0 && json.size === 0) {
              const replay = await ctx.replaySummary(first - 1);
              tracker = SummaryTracker.fromJSON(readSummaryState(run, replay.summaryStateJson));
              summaryChanged = true;
              lastStep = replay.lastStep;
              runtime = replay.runtime;
              rewindAfter = first - 1;
              events.push({
                state: 'running',
                at: now,
                detail: `rewound to step ${first - 1}: restart attempt ${ctx.progress?.restartAttempt ?? 0} replays steps from ${first} (was at ${run.lastStep})`,
              });
            }
          }
          const res = await applyRows(record.rows, cells, lastStep, getTracker(), numeric, json);
          droppedRows += res.dropped;
          lastStep = res.lastStep;
          if (res.lastRuntime > runtime) runtime = res.lastRuntime;
          if (res.applied > 0) summaryChanged = true;
          break;
        }
        case 'config': {
          // proto3's absent text is no values, as the input check reads it (json-checks.ts).
          const values = record.config.valuesJson === '' ? {} : parseJsonObject(record.config.valuesJson, 'config.valuesJson');
          if (!config) config = new ConfigState(readObjectColumn(run, 'config'));
          updateConfig(config, record.config.removed, values, record.config.allowValChange);
          break;
        }
        case 'summary': {
          const t = getTracker();
          const set = record.summary.setJson === '' ? {} : parseJsonObject(record.summary.setJson, 'summary.setJson');
          checkSummaryPaths(Object.keys(set), 'summary.setJson');
          checkSummaryPaths(record.summary.removed, 'summary.removed');
          budget.admitSummary(t, set);
          for (const [path, value] of Object.entries(set)) t.set(path, value);
          for (const path of record.summary.removed) t.delete(path);
          summaryChanged = true;
          break;
        }
        case 'metric': {
          const bad = metricDefinitionIssue(record.metric);
          if (bad) refuse(`metric.${bad.field}`, bad.message);
          getTracker().defineMetric(record.metric);
          metrics ??= readMetricDefinitions(run);
          metrics.push(record.metric);
          summaryChanged = true;
          break;
        }
        case 'runUpdate': {
          const u = record.runUpdate;
          if (u.tags !== undefined) {
            patch.tags = validateTags(u.tags.tags, 'runUpdate.tags');
          }
          if (u.name !== undefined) patch.name = u.name;
          if (u.notes !== undefined) patch.notes = u.notes;
          break;
        }
        case 'exit': {
          const { exitCode, updateFinishState } = record.exit;
          refuse('exit.exitCode', exitCodeIssue(exitCode));
          if (!updateFinishState) break;
          const { next, detail } = exitState(record.exit, state);
          setState(next, detail);
          // A vanished process left no exit code.
          if (record.exit.crashed !== true) patch.exitCode = exitCode;
          patch.endTime = now;
          runtime = Math.max(runtime, run.runtimeBase + Math.max(0, now - run.openedAt));
          break;
        }
        case 'preempting':
          setState('preempting', 'the run marked itself preempting');
          break;
        case 'system': {
          const m = record.system;
          refuse('system.values', systemValuesIssue(m.keys, m.values));
          const metrics: Record<string, number> = {};
          for (let i = 0; i < m.keys.length; i++) metrics[m.keys[i]!] = m.values[i]!;
          (system ??= []).push({ at: m.timestamp, label: m.label, metrics });
          break;
        }
        case 'console': {
          const c = record.console;
          if (c.lines.length > 0) (consoleChunks ??= []).push({ at: c.timestamp, stream: c.stream, label: c.label, lines: c.lines });
          break;
        }
        case 'alert': {
          const a = record.alert;
          refuse('alert.level', alertLevelIssue(a.level));
          const wait = a.waitDurationMs > 0 ? a.waitDurationMs : DEFAULT_ALERT_WAIT_MS;
          let last = lastAlerts.get(a.title);
          if (!lastAlerts.has(a.title)) last = await ctx.lastAlertAt(a.title);
          const suppressed = isAlertSuppressed(last === undefined ? undefined : last * 1000, a.timestamp * 1000, wait);
          if (!suppressed) lastAlerts.set(a.title, a.timestamp);
          else lastAlerts.set(a.title, last);
          alerts.push({ title: a.title, text: a.text, level: a.level, timestamp: a.timestamp, waitDurationMs: wait, suppressed });
          break;
        }
        default:
          assertNever(record, 'record kind');
      }
    } catch (err) {
      // A damaged run row (stored-state.ts) fails the whole batch, committing nothing: refusing its records one by one would lose them.
      if (err instanceof CohortError && err.code !== 'DATA_LOSS') rejected.push({ seq: record.seq, error: err });
      else if (err instanceof TypeError || err instanceof SyntaxError || err instanceof RangeError) {
        rejected.push({ seq: record.seq, error: new CohortError('INVALID_ARGUMENT', `record ${record.seq} (${record.kind}): ${err.message}`, { cause: err }) });
      } else throw err;
    }
  }

  const last = records[records.length - 1];
  const write: BatchWrite = { appliedSeq: last ? last.seq : run.appliedSeq, run: patch };
  if (state !== run.state) patch.state = state;
  if (lastStep !== run.lastStep) patch.lastStep = lastStep;
  if (runtime !== run.runtime) patch.runtime = runtime;
  if (config) patch.configJson = stringifyJson(config.toJSON());
  if (metrics) patch.metricsJson = stringifyJson(metrics);
  let summaryState: WrittenSummaryState | undefined;
  if (tracker && summaryChanged) {
    patch.summaryJson = stringifyJson(tracker.summary());
    const next = tracker.toJSON();
    summaryState = { json: stringifyJson(next), state: next };
    patch.summaryStateJson = summaryState.json;
  }
  if (rewindAfter !== undefined) {
    write.rewindAfter = rewindAfter;
    // A replay rewinds below the stored last step, which the patch above only sets when it changed.
    patch.lastStep = lastStep;
    patch.runtime = runtime;
  }
  if (numeric.size > 0) write.numeric = finishNumeric(numeric);
  // Group members: the store merges this batch's metric series into the group's aggregate chunks, in this commit.
  if (run.group !== '' && write.numeric?.some((x) => isAggregatedKey(x.key))) write.aggregates = { group: { entity: run.entity, project: run.project, group: run.group } };
  let progress = progressPatch(ctx, run, lastStep, now);
  if (ctx.progress?.replayArmed === true && !replayArmed) progress = { ...progress, replayArmed: false };
  if (progress) write.progress = progress;
  if (json.size > 0) write.json = [...json.values()];
  if (alerts.length > 0) write.alerts = alerts;
  if (system) write.system = system;
  if (consoleChunks) write.console = consoleChunks;
  if (events.length > 0) write.events = events;
  return { write, droppedRows, rejected, ...(summaryState && { summaryState }) };
}

/** The progress fields to write when the run's last step moved (group members and runs with progress only). */
function progressPatch(ctx: PlanContext, run: StoredRun, lastStep: number | null, now: number): Partial<RankProgress> | undefined {
  if (lastStep === null || lastStep === run.lastStep) return undefined;
  if (run.group === '' && ctx.progress === undefined) return undefined;
  const patch: Partial<RankProgress> = { lastStep, lastStepAt: now };
  const samples = ctx.progress?.samples ?? [];
  const lastAt = samples.length >= 2 ? samples[samples.length - 2]! : -Infinity;
  const rewound = run.lastStep !== null && lastStep < run.lastStep;
  if (rewound || now - lastAt >= (ctx.progressSampleSeconds ?? 1)) {
    const next = rewound ? [] : samples.slice(-(MAX_PROGRESS_SAMPLES - 1) * 2);
    next.push(now, lastStep);
    patch.samples = next;
  }
  return patch;
}

/**
 * `config.remove` then `config.update`, all or nothing: the update refuses a
 * changed value before it applies anything, and the removed keys are put back
 * when it does.
 */
function updateConfig(config: ConfigState, removed: readonly string[], values: Record<string, unknown>, allowValChange: boolean): void {
  const saved: Record<string, unknown> = {};
  for (const key of removed) if (config.has(key)) saved[key] = config.get(key);
  config.remove(removed);
  try {
    config.update(values, { allowValChange });
  } catch (err) {
    config.update(saved, { allowValChange: true });
    throw err;
  }
}

/** The summary tracker refuses an empty path; checked for the whole record before it applies any. */
function checkSummaryPaths(paths: readonly string[], field: string): void {
  for (const path of paths) if (path === '') throw new CohortError('INVALID_ARGUMENT', `${field}: expected each summary key to be a non-empty string, got ""`);
}

/**
 * A Rows record's JSON cells, parsed, once its shape is checked; or its
 * INVALID_ARGUMENT error. Everything a Rows record can fail on fails here,
 * before it changes anything of the plan.
 */
function checkedRows(rows: RowsMessage): unknown[] {
  validateRows(rows);
  const out: unknown[] = new Array(rows.jsonValues.length);
  let j = 0;
  for (let i = 0; i < rows.jsonCounts.length; i++) {
    for (const end = j + rows.jsonCounts[i]!; j < end; j++) {
      try {
        out[j] = parseJson(rows.jsonValues[j]!);
      } catch (err) {
        throw new CohortError('INVALID_ARGUMENT', `rows: the value of \`${rows.keys[rows.jsonKeys[j]!]!}\` in row ${i} is not JSON (${(err as Error).message})`);
      }
    }
  }
  return out;
}

function parseJsonObject(text: string, field: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (err) {
    throw new CohortError('INVALID_ARGUMENT', `${field}: expected a JSON object, got text that does not parse (${(err as Error).message})`);
  }
  if (!isPlainObject(value)) throw new CohortError('INVALID_ARGUMENT', `${field}: expected a JSON object, got ${typeof value}`);
  return value;
}

/**
 * Applies one Rows record (checked by {@link checkedRows}; `cells` its parsed
 * JSON cells): drops rows at or below the last step, feeds the rest to the
 * summary tracker (collecting its stepSync insertions), yielding to the event
 * loop every {@link YIELD_AFTER_MS}, and groups the cells by key, numbers
 * straight from the columns into Float64Arrays.
 */
async function applyRows(
  rows: RowsMessage,
  cells: readonly unknown[],
  lastStepIn: number | null,
  tracker: SummaryTracker,
  numeric: Map<string, SeriesBuilder>,
  json: Map<string, JsonSeries>,
): Promise<{ dropped: number; applied: number; lastStep: number | null; lastRuntime: number }> {
  const n = rows.timestamps.length;
  const stepOf = new Float64Array(n);
  const keep = new Uint8Array(n);
  let lastStep = lastStepIn;
  let kept = 0;
  const assigned = rows.steps.length === 0;
  for (let i = 0; i < n; i++) {
    const step = assigned ? (lastStep ?? -1) + 1 : rows.steps[i]!;
    if (lastStep !== null && step <= lastStep) continue;
    stepOf[i] = step;
    keep[i] = 1;
    lastStep = step;
    kept++;
  }
  if (kept === 0) return { dropped: n, applied: 0, lastStep, lastRuntime: -Infinity };

  // Summary: the tracker sees each kept row's leaves (as forEachRow of rows-codec.ts gives them); what it inserts is stored too.
  let slice = performance.now();
  for (let i = 0, num = 0, cell = 0; i < n; num += rows.numCounts[i]!, cell += rows.jsonCounts[i]!, i++) {
    if ((i & 255) === 255 && performance.now() - slice > YIELD_AFTER_MS) {
      await yieldTurn();
      slice = performance.now();
    }
    if (keep[i] !== 1) continue;
    const s = stepOf[i]!;
    const leaves: RowLeaf[] = [];
    for (let j = num, end = num + rows.numCounts[i]!; j < end; j++) leaves.push([rows.keys[rows.numKeys[j]!]!, rows.numValues[j]!]);
    for (let j = cell, end = cell + rows.jsonCounts[i]!; j < end; j++) leaves.push([rows.keys[rows.jsonKeys[j]!]!, cells[j]]);
    if (!assigned) leaves.push(['_step', rows.steps[i]!]);
    leaves.push(['_runtime', rows.runtimes[i]!], ['_timestamp', rows.timestamps[i]!]);
    if (assigned) leaves.push(['_step', s]);
    const inserted = tracker.applyRow(leaves);
    for (const [path, value] of inserted) {
      if (AUTOMATIC_KEYS.has(path)) continue;
      if (typeof value === 'number') {
        const b = builder(numeric, path);
        b.extraSteps.push(s);
        b.extraValues.push(value);
      } else {
        const series = jsonSeries(json, path);
        series.steps.push(s);
        series.values.push(stringifyJson(value));
      }
    }
  }

  // Numeric cells: count per key, then fill one Float64Array pair per key.
  const nk = rows.keys.length;
  const counts = new Int32Array(nk);
  const skipKey = new Uint8Array(nk);
  for (let k = 0; k < nk; k++) if (AUTOMATIC_KEYS.has(rows.keys[k]!)) skipKey[k] = 1;
  let off = 0;
  for (let i = 0; i < n; i++) {
    const c = rows.numCounts[i]!;
    if (keep[i] === 1) for (let j = off; j < off + c; j++) counts[rows.numKeys[j]!]!++;
    off += c;
  }
  const colSteps: Array<Float64Array | undefined> = new Array(nk);
  const colVals: Array<Float64Array | undefined> = new Array(nk);
  const fill = new Int32Array(nk);
  for (let k = 0; k < nk; k++) {
    if (counts[k]! > 0 && skipKey[k] === 0) {
      colSteps[k] = new Float64Array(counts[k]!);
      colVals[k] = new Float64Array(counts[k]!);
    }
  }
  const tsSteps = new Float64Array(kept);
  const tsVals = new Float64Array(kept);
  const rtVals = new Float64Array(kept);
  let r = 0;
  let lastRuntime = -Infinity;
  off = 0;
  let joff = 0;
  for (let i = 0; i < n; i++) {
    if ((i & 255) === 255 && performance.now() - slice > YIELD_AFTER_MS) {
      await yieldTurn();
      slice = performance.now();
    }
    const c = rows.numCounts[i]!;
    const jc = rows.jsonCounts[i]!;
    if (keep[i] === 1) {
      const s = stepOf[i]!;
      tsSteps[r] = s;
      tsVals[r] = rows.timestamps[i]!;
      const rt = rows.runtimes[i]!;
      rtVals[r] = rt;
      if (rt > lastRuntime) lastRuntime = rt;
      r++;
      for (let j = off; j < off + c; j++) {
        const k = rows.numKeys[j]!;
        const arr = colSteps[k];
        if (arr === undefined) continue;
        const at = fill[k]!++;
        arr[at] = s;
        colVals[k]![at] = rows.numValues[j]!;
      }
      for (let j = joff; j < joff + jc; j++) {
        const key = rows.keys[rows.jsonKeys[j]!]!;
        if (AUTOMATIC_KEYS.has(key)) continue;
        const series = jsonSeries(json, key);
        series.steps.push(s);
        series.values.push(rows.jsonValues[j]!);
      }
    }
    off += c;
    joff += jc;
  }
  pushSeries(numeric, '_timestamp', tsSteps, tsVals);
  pushSeries(numeric, '_runtime', tsSteps, rtVals);
  for (let k = 0; k < nk; k++) {
    const s = colSteps[k];
    if (s !== undefined) pushSeries(numeric, rows.keys[k]!, s, colVals[k]!);
  }
  return { dropped: n - kept, applied: kept, lastStep, lastRuntime };
}

function builder(map: Map<string, SeriesBuilder>, key: string): SeriesBuilder {
  let b = map.get(key);
  if (!b) {
    b = { steps: [], values: [], extraSteps: [], extraValues: [] };
    map.set(key, b);
  }
  return b;
}

function jsonSeries(map: Map<string, JsonSeries>, key: string): JsonSeries {
  let s = map.get(key);
  if (!s) {
    s = { key, steps: [], values: [] };
    map.set(key, s);
  }
  return s;
}

function pushSeries(map: Map<string, SeriesBuilder>, key: string, steps: Float64Array, values: Float64Array): void {
  const b = builder(map, key);
  b.steps.push(steps);
  b.values.push(values);
}

function concat(parts: Float64Array[]): Float64Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Float64Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One series per key: column parts concatenated, stepSync insertions merged in by step. */
function finishNumeric(map: Map<string, SeriesBuilder>): NumericSeries[] {
  const out: NumericSeries[] = [];
  for (const [key, b] of map) {
    const steps = b.steps.length > 0 ? concat(b.steps) : new Float64Array(0);
    const values = b.values.length > 0 ? concat(b.values) : new Float64Array(0);
    if (b.extraSteps.length === 0) {
      out.push({ key, steps, values });
      continue;
    }
    const total = steps.length + b.extraSteps.length;
    const ms = new Float64Array(total);
    const mv = new Float64Array(total);
    let i = 0;
    let j = 0;
    let o = 0;
    while (i < steps.length || j < b.extraSteps.length) {
      const useCol = j >= b.extraSteps.length || (i < steps.length && steps[i]! <= b.extraSteps[j]!);
      if (useCol) {
        // A logged cell wins over an insertion at the same step.
        if (j < b.extraSteps.length && steps[i] === b.extraSteps[j]) j++;
        ms[o] = steps[i]!;
        mv[o++] = values[i++]!;
      } else {
        ms[o] = b.extraSteps[j]!;
        mv[o++] = b.extraValues[j++]!;
      }
    }
    out.push({ key, steps: ms.subarray(0, o), values: mv.subarray(0, o) });
  }
  return out;
}

/**
 * The state an exit record leaves a run in (docs/sdk.md, how a run ends):
 * crashed when the process vanished, finished on exit code 0, killed on
 * SIGINT, preempted when it was preempting, else failed; a run its sweep
 * stopped stays stopped. The detail names the exit code, the signal and the error.
 */
export function exitState(exit: ExitMessage, state: RunState): { next: RunState; detail: string } {
  const signal = exit.signal ?? '';
  const error = exit.error ?? '';
  // A sweep stopped the run (docs/sweeps.md): the exit its SIGTERM caused, arriving after, does not undo that.
  if (state === 'stopped') return { next: 'stopped', detail: `an exit after its sweep stopped it (exit code ${exit.exitCode}${signal === '' ? '' : `, ${signal}`})` };
  if (exit.crashed === true) return { next: 'crashed', detail: 'the process vanished without an exit (kill -9, the OOM killer); its WAL was uploaded' };
  const code = `exit code ${exit.exitCode}${signal === '' ? '' : ` (${signal})`}`;
  const detail = error === '' ? code : `${code}: ${error}`;
  if (exit.exitCode === 0) return { next: 'finished', detail };
  if (state === 'preempting') return { next: 'preempted', detail };
  if (signal === 'SIGINT') return { next: 'killed', detail };
  return { next: 'failed', detail };
}
