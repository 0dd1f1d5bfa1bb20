import { basename } from 'node:path';
import { collectMediaFiles } from './media/media-file.js';
import { ModelWatcher, type WatchableModel, type WatchOptions } from './media/model-watcher.js';
import {
  CohortError,
  ConfigState,
  normalizeLogData,
  parseAlert,
  parseMetricDefinition,
  RowsBuilder,
  forEachRow,
  StepMachine,
  stringifyJson,
  SummaryTracker,
  UsageError,
  validateTags,
  type AlertOptions,
  type DefineMetricOptions,
  type Metric,
  type PendingRow,
  type RowsMessage,
  type RunUpdateMessage,
} from '@cohort/protocol';
import { Artifact } from './artifacts/artifact.js';
import type { RunAssets } from './artifacts/run-assets.js';
import type { FinishArtifactOptions, LogArtifactOptions, LogCodeOptions, LogModelOptions, UpsertArtifactOptions, UseArtifactOptions } from './artifacts/run-artifacts.js';
import { checkModelName } from './artifacts/run-artifacts.js';
import type { MediaUploader } from './files/media-uploader.js';
import type { RestoreOptions, SaveOptions } from './files/run-files.js';
import { ConsoleCapture } from './files/console-capture.js';
import type { ResolvedInitOptions, RunMode } from './init-options.js';
import type { Logger } from './logger.js';
import type { RecordBody, RecordLog } from './record-log.js';
import { configView, RunConfig, type RunConfigView } from './run-config.js';
import { RunSummary } from './run-summary.js';
import { PreemptionPoller } from './preemption.js';
import { describeError, endRunsNow, joinProcessExit, leaveProcessExit, type ExitParticipant, type ProcessEnd } from './exit/process-exit.js';
import type { UploadTarget } from './exit/spawn-uploader.js';
import { SystemMetricsCollector } from './system-metrics.js';
import type { ResolvedSettings } from './settings.js';
import type { RecordPump } from './transport/record-pump.js';

/** Options of `run.log(data, options)`. */
export interface LogOptions {
  /** The step to log at (docs/run-semantics.md §1); ignored with a warning in shared mode. */
  readonly step?: number;
  /** Whether to close the row now. @defaultValue `true` when no `step` is given */
  readonly commit?: boolean;
}

/** Options of `run.defineMetric`: W&B's, with `stepMetric` a name or a {@link Metric}. */
export interface RunDefineMetricOptions extends Omit<DefineMetricOptions, 'stepMetric'> {
  /** The metric to use as this metric's x axis: its name, or the `Metric` that `defineMetric` returned for it. */
  readonly stepMetric?: string | Metric;
}

/** `run.status()`: real numbers from the WAL and the server's acks. */
export interface RunStatus {
  /** Records this process has produced for the run. */
  readonly syncItemsTotal: number;
  /** Records not yet committed by the server. */
  readonly syncItemsPending: number;
  /** When the server last acknowledged a commit (`null` before the first, and always offline). */
  readonly syncTime: Date | null;
}

/** A run's lifecycle. */
export type RunState = 'running' | 'finishing' | 'finished' | 'detached';

/** Everything a {@link Run} is built from; `init()` gathers it (with I/O) and the constructor does none. */
export interface RunParts {
  readonly options: ResolvedInitOptions;
  readonly id: string;
  readonly entity: string;
  readonly project: string;
  readonly name: string;
  readonly group: string;
  readonly jobType: string;
  readonly tags: readonly string[];
  readonly notes: string;
  readonly resumed: boolean;
  readonly startingStep: number;
  /** Seconds already run before this process (resume). */
  readonly runtimeOffset: number;
  /** Seconds since the epoch. */
  readonly startTime: number;
  readonly url: string | undefined;
  /** The server's HTTP base URL, for the project and sweep URLs. */
  readonly httpUrl: string | undefined;
  readonly sweepId: string;
  /** The run folder (`<dir>/run-<time>-<id>`). */
  readonly dir: string;
  readonly summary: SummaryTracker;
  readonly config: ConfigState;
  readonly records: RecordLog | undefined;
  readonly pump: RecordPump | undefined;
  /** Releases the network client, if any. */
  readonly closeTransport: () => void;
  /** Artifacts and files (online and offline runs; disabled runs have none). */
  readonly assets?: RunAssets;
  /** Where logged media files go (online and offline runs). */
  readonly media?: MediaUploader;
  /** Called once when the run finished or detached (clears the live `run`, removes `resume.json`). */
  readonly onEnded: (run: Run, exitCode: number | undefined) => Promise<void>;
}

/**
 * Cells per Rows record: keeps a record well below a frame and its key
 * dictionary within the server's 10 000 keys per record (keys <= cells).
 */
const MAX_ROWS_POINTS = 8_000;
const MAX_ROWS_PER_RECORD = 10_000;

/**
 * One run of the experiment tracker: W&B's `Run`, TypeScript style. Get one
 * from `init()`; log with {@link Run.log}; end it with {@link Run.finish}.
 *
 * `log()` does no I/O and no serialization: values are checked and copied,
 * merged by the step machine and buffered. A timer (every
 * `settings.flushIntervalMs`) or a full buffer turns buffered rows into one
 * record, written to the WAL and streamed to the server.
 *
 * @example
 * const run = await init({ project: 'mnist', config: { lr: 0.01 } });
 * for (let step = 0; step < 100; step++) run.log({ loss: 1 / (step + 1) });
 * run.summary.get('loss'); // 0.01
 * await run.finish();
 */
export class Run implements ExitParticipant {
  readonly #p: RunParts;
  readonly #settings: ResolvedSettings;
  readonly #logger: Logger;
  readonly #watcher = new ModelWatcher();
  #steps: StepMachine;
  /** A later restart attempt resumed this run: the first explicit step may go back (a replay from a checkpoint). */
  #replayArmed: boolean;
  #systemTimer: NodeJS.Timeout | undefined;
  #collector: SystemMetricsCollector | undefined;
  #poller: PreemptionPoller | undefined;
  #console: ConsoleCapture | undefined;
  #sigterm: (() => void) | undefined;
  /** SIGTERM came: the run is being flushed and finished; later calls are dropped rather than thrown into the training loop. */
  #terminating = false;
  readonly #tracker: SummaryTracker;
  readonly #summary: RunSummary;
  readonly #config: RunConfigView;
  readonly #records: RecordLog | undefined;
  readonly #shared: boolean;
  readonly #t0 = performance.now();
  readonly #builder: RowsBuilder;
  #rows: PendingRow[] = [];
  #runtimes: number[] = [];
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #state: RunState = 'running';
  #ending: Promise<void> | undefined;
  /** The exit code `finish()` was called with, until its exit record is written. */
  #finishCode: number | undefined;
  /** The error that `withRun` saw end the run, for its exit record. */
  #finishError: string | undefined;
  #exitWritten = false;
  #name: string;
  #notes: string;
  #tags: readonly string[];
  #warnedSharedStep = false;
  readonly #flushBound = (): void => {
    this.#timer = undefined;
    this.#immediate = undefined;
    this.#flushRows();
  };

  /** @internal Use `init()`. */
  constructor(parts: RunParts) {
    this.#p = parts;
    this.#settings = parts.options.settings;
    this.#logger = this.#settings.logger;
    this.#records = parts.records;
    this.#shared = parts.options.mode === 'shared';
    this.#name = parts.name;
    this.#notes = parts.notes;
    this.#tags = Object.freeze([...parts.tags]);
    this.#tracker = parts.summary;
    // One builder for the run: it caches key indexes across records.
    this.#builder = new RowsBuilder(this.#shared ? this.#settings.label : '');
    this.#steps = new StepMachine(parts.startingStep, (row) => this.#emit(row));
    this.#replayArmed = parts.resumed && parts.options.restartAttempt > 0 && !this.#shared;
    this.#summary = new RunSummary(parts.summary, {
      guard: (m) => this.#guard(m),
      catchUp: () => this.#flushRows(),
      sendSummary: (set, removed) => this.#append({ kind: 'summary', summary: { setJson: stringifyJson(set), removed } }),
    });
    const run = this;
    this.#config = configView(
      new RunConfig(parts.config, {
        guard: (m) => this.#guard(m),
        sendConfig: (values, allowValChange) =>
          this.#append({ kind: 'config', config: { valuesJson: stringifyJson(values), allowValChange, removed: [] } }),
        get logger() {
          return run.#logger;
        },
      }),
    );
  }

  // ---- attributes -------------------------------------------------------

  /** The run id. */
  get id(): string {
    return this.#p.id;
  }
  get entity(): string {
    return this.#p.entity;
  }
  get project(): string {
    return this.#p.project;
  }
  /** `entity/project/id`. */
  get path(): string {
    return `${this.#p.entity}/${this.#p.project}/${this.#p.id}`;
  }
  get group(): string {
    return this.#p.group;
  }
  get jobType(): string {
    return this.#p.jobType;
  }
  get mode(): RunMode {
    return this.#p.options.mode;
  }
  /** The run folder (holds `wal/`). */
  get dir(): string {
    return this.#p.dir;
  }
  /** Whether `init` resumed an existing run. */
  get resumed(): boolean {
    return this.#p.resumed;
  }
  /** Seconds since the Unix epoch. */
  get startTime(): number {
    return this.#p.startTime;
  }
  /** The step this process started at (the resumed run's last `_step` + 1). */
  get startingStep(): number {
    return this.#p.startingStep;
  }
  /** The step the next row will have. Throws `UsageError` in shared mode (the server orders rows). */
  get step(): number {
    if (this.#shared) throw new UsageError('`run.step` is not available in shared mode: the server assigns the order of rows.');
    return this.#steps.step;
  }
  get sweepId(): string | undefined {
    return this.#p.sweepId === '' ? undefined : this.#p.sweepId;
  }
  /** The run's page, or `undefined` offline and disabled. */
  get url(): string | undefined {
    return this.#p.url;
  }
  /** The frozen resolved settings. */
  get settings(): ResolvedSettings {
    return this.#settings;
  }
  /** `running`, `finishing`, `finished` or `detached`. */
  get state(): RunState {
    return this.#state;
  }
  get summary(): RunSummary {
    return this.#summary;
  }
  get config(): RunConfigView {
    return this.#config;
  }

  get name(): string {
    return this.#name;
  }
  set name(value: string) {
    this.#guard('name');
    if (typeof value !== 'string') throw new TypeError(`Expected \`name\` to be a string, got ${typeof value}`);
    this.#name = value;
    this.#sendRunUpdate({ name: value });
  }
  get notes(): string {
    return this.#notes;
  }
  set notes(value: string) {
    this.#guard('notes');
    if (typeof value !== 'string') throw new TypeError(`Expected \`notes\` to be a string, got ${typeof value}`);
    this.#notes = value;
    this.#sendRunUpdate({ notes: value });
  }
  get tags(): readonly string[] {
    return this.#tags;
  }
  set tags(value: readonly string[]) {
    this.#guard('tags');
    const tags = validateTags(value);
    this.#tags = Object.freeze([...tags]);
    this.#sendRunUpdate({ tags: { tags } });
  }

  // ---- logging (the hot path) ------------------------------------------

  /**
   * Logs values (docs/run-semantics.md §1). Returns at once: no I/O, no serialization.
   * Throws `TypeError` for a value that cannot be logged and `UsageError`
   * after `finish()`. A step below the current one drops the call with a warning.
   */
  log(data: Readonly<Record<string, unknown>>, options?: LogOptions): void {
    if (this.#terminating) return;
    if (this.#state !== 'running') this.#guard('log');
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new TypeError(`Expected the options of \`log\` to be an object like { step, commit }, got ${typeof options}`);
    }
    const { value: normalized, files } = collectMediaFiles(() => {
      const n = normalizeLogData(data);
      if (this.#watcher.active && options?.commit !== false) {
        const due = this.#watcher.tick();
        if (due) Object.assign(n, normalizeLogData(due));
      }
      return n;
    });
    if (files.length > 0) this.#p.media?.add(files);
    let step = options?.step;
    if (this.#shared && step !== undefined) {
      if (!this.#warnedSharedStep) {
        this.#warnedSharedStep = true;
        this.#warn('`step` is ignored in shared mode: the server assigns the order of rows.');
      }
      step = undefined;
    }
    if (this.#replayArmed) {
      this.#replayArmed = false;
      if (step !== undefined && step < this.#steps.step) {
        // torchelastic restarted from a checkpoint and replays steps: the server rewinds the run to them.
        this.#flushRows();
        this.#steps = new StepMachine(step, (row) => this.#emit(row));
      }
    }
    const warning = this.#steps.log(normalized, step, options?.commit, Date.now() / 1000);
    if (warning !== undefined) this.#warn(warning);
  }

  #emit(row: PendingRow): void {
    this.#rows.push(row);
    this.#runtimes.push(this.#p.runtimeOffset + (performance.now() - this.#t0) / 1000);
    const n = this.#rows.length;
    if (n >= this.#settings.maxBufferedRows) {
      // The caller never yields: encode now rather than grow without bound.
      this.#flushRows();
    } else if (n >= this.#settings.flushRows) {
      this.#immediate ??= setImmediate(this.#flushBound);
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#flushBound, this.#settings.flushIntervalMs);
      this.#timer.unref();
    }
  }

  /** Turns buffered rows into Rows records and feeds the local summary. */
  #flushRows(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#immediate !== undefined) {
      clearImmediate(this.#immediate);
      this.#immediate = undefined;
    }
    const rows = this.#rows;
    if (rows.length === 0) return;
    const runtimes = this.#runtimes;
    this.#rows = [];
    this.#runtimes = [];
    const builder = this.#builder;
    for (let i = 0; i < rows.length; i++) {
      builder.add(rows[i]!, runtimes[i]!);
      if (builder.points >= MAX_ROWS_POINTS || builder.size >= MAX_ROWS_PER_RECORD) this.#sendRows(builder.build());
    }
    if (builder.size > 0) this.#sendRows(builder.build());
  }

  #sendRows(rows: RowsMessage): void {
    const tracker = this.#tracker;
    forEachRow(rows, (_i, _step, _timestamp, _runtime, leaves) => {
      tracker.applyRow(leaves);
    });
    this.#records?.append({ kind: 'rows', rows });
  }

  /** Appends a non-row record after the rows buffered so far (order is kept). */
  #append(body: RecordBody): void {
    this.#flushRows();
    this.#records?.append(body);
  }

  #sendRunUpdate(update: RunUpdateMessage): void {
    this.#append({ kind: 'runUpdate', runUpdate: update });
  }

  // ---- background work (system metrics, preemption) -------------------------

  /**
   * @internal Called by `init()` once the run exists: starts the system
   * metrics timer, the cloud preemption pollers and the SIGTERM handler that
   * the settings ask for. Each is stopped when the run ends.
   */
  startBackground(): void {
    const s = this.#settings;
    if (this.#records) joinProcessExit(this);
    if (s.console !== 'off' && this.#records) {
      const records = this.#records;
      const o = this.#p.options;
      const label = this.#shared ? s.label : o.rank >= 0 ? `rank ${o.rank}` : '';
      this.#console = new ConsoleCapture({ label, append: (console) => records.append({ kind: 'console', console }) });
      this.#console.start();
    }
    if (s.systemMetricsSeconds > 0 && this.#records) {
      this.#collector = new SystemMetricsCollector();
      this.#systemTimer = setInterval(() => void this.#sampleSystem(), s.systemMetricsSeconds * 1000);
      this.#systemTimer.unref();
    }
    const notices = s.preemptionNotices;
    if (notices.aws !== undefined || notices.gce !== undefined || notices.azure !== undefined) {
      this.#poller = new PreemptionPoller(
        notices,
        (cloud) => {
          if (this.#state !== 'running') return;
          this.#logger.warn(`The ${cloud} preemption notice came: marking run ${this.id} preempting.`);
          this.markPreempting();
          void this.flush().catch(() => undefined);
        },
        this.#logger,
      );
    }
    if (s.handleSigterm) {
      // The one signal handler outside apps/*/main.ts (docs/architecture.md, "Habits of this codebase"): opt-out with `handleSigterm: false`.
      this.#sigterm = () => void this.#onSigterm();
      process.once('SIGTERM', this.#sigterm);
    }
  }

  /** The label system metrics carry: `rank <r>@<node>` for a ranked run, else the node (or the shared-mode label). */
  get #systemLabel(): string {
    const o = this.#p.options;
    if (this.#shared) return this.#settings.label;
    return o.rank >= 0 ? `rank ${o.rank}@${o.node}` : o.node;
  }

  async #sampleSystem(): Promise<void> {
    const collector = this.#collector;
    if (!collector || this.#state !== 'running') return;
    let metrics: Record<string, number>;
    try {
      metrics = await collector.collect();
    } catch (err) {
      this.#logger.debug(`Reading system metrics failed: ${(err as Error).message}`);
      return;
    }
    if (this.#state !== 'running') return;
    const keys = Object.keys(metrics);
    this.#append({ kind: 'system', system: { timestamp: Date.now() / 1000, keys, values: keys.map((k) => metrics[k]!), label: this.#systemLabel } });
  }

  async #onSigterm(): Promise<void> {
    this.#sigterm = undefined;
    if (this.#state === 'running') {
      this.markPreempting();
      this.#terminating = true;
      const bound = this.#settings.sigtermFlushSeconds * 1000;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((r) => {
        timer = setTimeout(() => r('timeout'), bound);
        timer.unref();
      });
      // A non-zero exit of a preempting run makes it `preempted` at once; what is not committed in time stays in the WAL.
      const outcome = await Promise.race([this.finish(143).then(() => 'done' as const, () => 'done' as const), timeout]);
      clearTimeout(timer);
      if (outcome === 'timeout') this.#logger.warn(`SIGTERM: run ${this.id} did not flush within ${bound} ms; the rest stays in ${this.dir}.`);
    }
    // Let the process exit as SIGTERM wants, unless someone else handles the signal.
    if (process.listenerCount('SIGTERM') === 0) {
      // No `exit` event follows a signal: what is not committed goes to an uploader now.
      endRunsNow({ exitCode: 143, signal: 'SIGTERM' });
      process.kill(process.pid, 'SIGTERM');
    }
  }

  #stopBackground(): void {
    // Before the exit record: the last lines belong to the run.
    this.#console?.stop();
    clearInterval(this.#systemTimer);
    this.#systemTimer = undefined;
    this.#poller?.close();
    if (this.#sigterm) process.off('SIGTERM', this.#sigterm);
    this.#sigterm = undefined;
  }

  // ---- other methods ------------------------------------------------------

  /**
   * Logs histograms of a model's parameters and/or gradients every `logFreq`
   * steps (docs/run-semantics.md §10); a model is anything with `namedParameters()`
   * yielding `[name, values, grad?]`. Allowed after `finish()` (like W&B).
   *
   * @example
   * run.watch(model, { log: 'all', logFreq: 100 });
   */
  watch(models: WatchableModel | readonly WatchableModel[], options?: WatchOptions): void {
    this.#watcher.watch(models, options);
  }

  /** Stops watching `models` (every model when absent). */
  unwatch(models?: WatchableModel | readonly WatchableModel[]): void {
    this.#watcher.unwatch(models);
  }

  /**
   * Defines how a metric is summarized and charted (docs/run-semantics.md §2);
   * `stepMetric` takes a name or the `Metric` another `defineMetric` returned. Throws
   * `CohortError` INVALID_ARGUMENT for bad arguments, before anything is sent.
   */
  defineMetric(name: string, options?: RunDefineMetricOptions): Metric {
    this.#guard('defineMetric');
    const def = parseMetricDefinition(name, withStepMetricName(options));
    this.#flushRows();
    const metric = this.#tracker.defineMetric(def);
    this.#append({ kind: 'metric', metric: def });
    return metric;
  }

  /** Marks the run as about to be preempted: a later exit 0 → finished, else preempted. */
  markPreempting(): void {
    this.#guard('markPreempting');
    this.#append({ kind: 'preempting', preempting: {} });
  }

  /**
   * Sends an alert (docs/run-semantics.md §8). Alerts with the same title within
   * `waitDuration` (seconds, or `{ ms }`; default 60 s) of the last one are
   * suppressed by the server, across ranks.
   */
  alert(title: string, text: string, options?: AlertOptions): void {
    this.#guard('alert');
    const parsed = parseAlert(title, text, options);
    this.#append({ kind: 'alert', alert: { ...parsed, timestamp: Date.now() / 1000 } });
  }

  /** Sync progress from the WAL and the server's acks (docs/run-semantics.md §5; W&B always answers zeros). */
  status(): RunStatus {
    this.#guard('status');
    this.#flushRows();
    const r = this.#records;
    if (!r) return { syncItemsTotal: 0, syncItemsPending: 0, syncTime: null };
    return { syncItemsTotal: r.appendedCount, syncItemsPending: r.lastSeq - r.committedSeq, syncTime: r.lastCommitAt };
  }

  /**
   * Resolves once everything logged so far (completed rows; a row still open
   * for `commit: false` values is not) is in the WAL and, online, committed by
   * the server, and logged media files are on disk and (online) uploaded. Rejects with DEADLINE_EXCEEDED after `settings.finishTimeoutMs`.
   */
  async flush(): Promise<void> {
    this.#flushRows();
    await this.#p.media?.flush();
    const r = this.#records;
    if (!r) return;
    const pump = this.#p.pump;
    if (!pump) return;
    pump.notify();
    const ok = await this.#waitCommitted(r, 'flush');
    if (!ok) {
      throw pump.failure ?? new CohortError('DEADLINE_EXCEEDED', `The server did not commit run ${this.id}'s records within ${this.#settings.finishTimeoutMs} ms`);
    }
  }

  /**
   * Ends the run (docs/run-semantics.md §5): flushes the open row, sends the exit code
   * (0 → finished, else failed), waits up to `settings.finishTimeoutMs` for
   * the server to commit everything, and closes the stream and the WAL.
   * A second call does nothing (it returns the first call's promise).
   */
  finish(exitCode = 0): Promise<void> {
    if (this.#ending) return this.#ending;
    if (!Number.isSafeInteger(exitCode)) {
      return Promise.reject(new TypeError(`Expected \`exitCode\` to be an integer, got ${String(exitCode)}`));
    }
    this.#state = 'finishing';
    this.#finishCode = exitCode;
    this.#ending = this.#end(exitCode);
    return this.#ending;
  }

  /** @internal `withRun`: finishes with exit code 1 and the error's stack in the exit record (shown on the run page). */
  finishFailed(error: unknown): Promise<void> {
    if (this.#state === 'running') this.#finishError = describeError(error);
    return this.finish(1);
  }

  /** @internal The exit path (`ExitParticipant`): whether nobody ended the run yet. */
  get running(): boolean {
    return this.#state === 'running';
  }

  /**
   * @internal The exit path (`ExitParticipant`, docs/sdk.md): the process is
   * ending now. Synchronously flushes the open rows and writes the exit
   * record to the WAL, unless the run already wrote one; returns the upload
   * target when the server has not committed everything.
   */
  endWithProcess(end: ProcessEnd): UploadTarget | undefined {
    const records = this.#records;
    if (this.#state === 'running') {
      this.#state = 'finished';
      this.#terminating = true;
      this.#stopBackground();
      this.#writeExit(end);
    } else if (this.#finishCode !== undefined && !this.#exitWritten && records && !records.closed) {
      // `finish()` is still uploading files: its exit record is not written yet.
      this.#writeExit(end.exitCode === 0 ? { exitCode: this.#finishCode } : end);
    }
    const o = this.#p.options;
    if (!records || !this.#p.pump || records.committedSeq >= records.lastSeq) return undefined;
    return { runDir: this.dir, url: o.url, apiKey: o.apiKey, tlsCa: o.tlsCa };
  }

  /** Closes the open row, turns buffered rows into records and writes the exit record (synchronously into the WAL). */
  #writeExit(end: ProcessEnd): void {
    this.#exitWritten = true;
    this.#steps.flush();
    this.#flushRows();
    const error = end.error ?? this.#finishError;
    this.#records?.append({
      kind: 'exit',
      exit: {
        exitCode: end.exitCode,
        updateFinishState: !this.#shared || this.#settings.updateFinishState,
        ...(end.signal !== undefined && { signal: end.signal }),
        ...(error !== undefined && end.exitCode !== 0 && { error }),
      },
    });
  }

  /**
   * Waits up to `finishTimeoutMs` for the server to commit every record;
   * after a second, says what it is waiting for (docs/sdk.md).
   */
  async #waitCommitted(records: RecordLog, what: 'flush' | 'finish'): Promise<boolean> {
    const timeoutMs = this.#settings.finishTimeoutMs;
    const started = Date.now();
    const notice = setTimeout(() => {
      const pending = records.lastSeq - records.committedSeq;
      const pump = this.#p.pump;
      const why = pump?.state === 'streaming' ? 'the server is applying them' : `the server is not reachable (stream ${pump?.state ?? 'closed'})`;
      this.#warn(
        `${what}: waiting for the server to commit ${pending} record${pending === 1 ? '' : 's'} of run ${this.id} (${why}); ` +
          `up to ${Math.round((timeoutMs - (Date.now() - started)) / 1000)} s more (finishTimeoutMs).`,
      );
    }, 1000);
    notice.unref();
    try {
      return await records.waitCommitted(records.lastSeq, timeoutMs);
    } finally {
      clearTimeout(notice);
    }
  }

  /** @deprecated Use {@link Run.finish}. */
  join(exitCode = 0): Promise<void> {
    this.#warn('`run.join()` is deprecated; use `run.finish()`.');
    return this.finish(exitCode);
  }

  /**
   * Stops streaming without finishing: the run stays `running` on the server
   * (another process may go on with it) and records not yet committed stay in
   * the WAL for `cohort sync`. The run object accepts no more calls.
   */
  detach(): Promise<void> {
    if (this.#ending) return this.#ending;
    this.#state = 'finishing';
    this.#ending = this.#end(undefined);
    return this.#ending;
  }

  async #end(exitCode: number | undefined): Promise<void> {
    const records = this.#records;
    const pump = this.#p.pump;
    this.#stopBackground();
    try {
      await this.#p.assets?.finish(exitCode !== undefined).catch((err: unknown) => this.#logger.warn(`saved files: the last upload failed: ${(err as Error).message}`));
      await this.#p.media?.flush();
      if (exitCode !== undefined) {
        if (!this.#exitWritten) this.#writeExit({ exitCode });
      } else {
        this.#flushRows();
      }
      if (records && pump && exitCode !== undefined && pump.state !== 'failed') {
        pump.notify();
        const ok = await this.#waitCommitted(records, 'finish');
        if (!ok) {
          this.#logger.warn(
            `The server did not commit all records of run ${this.id} within ${this.#settings.finishTimeoutMs} ms ` +
              `(${records.lastSeq - records.committedSeq} pending); they stay in ${this.dir}, and an uploader started at exit sends them ` +
              `(or \`cohort sync ${this.dir}\`).`,
          );
        }
      }
    } finally {
      pump?.close();
      this.#p.assets?.close();
      this.#p.closeTransport();
      await records?.close();
      this.#state = exitCode === undefined ? 'detached' : 'finished';
      // Left with records the server has not committed, the run stays with the exit path, which starts an uploader.
      const uploadLeft = exitCode !== undefined && pump !== undefined && records !== undefined && records.committedSeq < records.lastSeq;
      if (!uploadLeft) leaveProcessExit(this);
      await this.#p.onEnded(this, exitCode);
    }
  }

  /**
   * Logs an artifact (or a file, folder or `scheme://` reference) as a new
   * version (docs/run-semantics.md §7). Resolves once stored; offline, once
   * copied into the run folder for `cohort sync`; disabled, at once (nothing is kept).
   */
  async logArtifact(artifactOrPath: Artifact | string, options?: LogArtifactOptions): Promise<Artifact> {
    if (this.#disabled('logArtifact')) return disabledArtifact(this.id, artifactOrPath, options?.name, options?.type ?? 'unspecified');
    return this.#assets('logArtifact').artifacts.logArtifact(artifactOrPath, options);
  }

  /**
   * Records this run as a consumer of a version and returns it (download it
   * with `artifact.download()`): `name[:alias]`, `name:<digest>`, a logged
   * `Artifact`, or one not logged yet, which is logged first with `aliases`.
   * Needs a server: `TypeError` offline and disabled (W&B).
   */
  async useArtifact(nameOrArtifact: string | Artifact, options?: UseArtifactOptions): Promise<Artifact> {
    if (!this.#p.assets?.client) throw new TypeError('Cannot use artifacts in offline or disabled mode');
    return this.#assets('useArtifact').artifacts.useArtifact(nameOrArtifact, options);
  }

  /** Adds files to the PENDING version that the writers of `distributedId` (default: the group) share. */
  async upsertArtifact(artifactOrPath: Artifact | string, options?: UpsertArtifactOptions): Promise<Artifact> {
    return this.#assets('upsertArtifact').artifacts.upsertArtifact(artifactOrPath, options);
  }

  /** Commits the PENDING version of `distributedId` (default: the group); it is immutable after. */
  async finishArtifact(artifactOrPath: Artifact | string, options?: FinishArtifactOptions): Promise<Artifact> {
    return this.#assets('finishArtifact').artifacts.finishArtifact(artifactOrPath, options);
  }

  /** Links a logged version into a portfolio (`portfolio`, `project/portfolio` or `entity/project/portfolio`). */
  async linkArtifact(artifact: Artifact, targetPath: string, aliases?: readonly string[]): Promise<Artifact> {
    return this.#assets('linkArtifact').artifacts.linkArtifact(artifact, targetPath, aliases);
  }

  /** Logs a model file or folder (type `model`); a `name` has letters, digits, `-`, `_` and `.` only (else `UsageError`). Offline and disabled as {@link Run.logArtifact}. */
  async logModel(path: string, options?: LogModelOptions): Promise<Artifact> {
    if (this.#disabled('logModel')) {
      if (options?.name !== undefined) checkModelName(options.name);
      return disabledArtifact(this.id, path, options?.name, 'model');
    }
    return this.#assets('logModel').artifacts.logModel(path, options);
  }

  /** Downloads a model; resolves to its file when it has one, else its folder. */
  async useModel(name: string, root?: string): Promise<string> {
    return this.#assets('useModel').artifacts.useModel(name, root);
  }

  /** Logs a model and links it into `<entity>/model-registry/<registeredModelName>`. */
  async linkModel(path: string, registeredModelName: string, options?: { name?: string; aliases?: readonly string[] }): Promise<Artifact> {
    return this.#assets('linkModel').artifacts.linkModel(path, registeredModelName, options);
  }

  /** Logs the project's source files as a `code` artifact (`undefined` when none matched, and in disabled mode). */
  async logCode(root?: string, options?: LogCodeOptions): Promise<Artifact | undefined> {
    if (this.#disabled('logCode')) return undefined;
    return this.#assets('logCode').artifacts.logCode(root, options);
  }

  /**
   * Saves the files a glob matches now into the run's files (docs/run-semantics.md §9);
   * resolves to their paths in the run's files folder. Files created later
   * are not picked up; `live` re-uploads the matched files as they change.
   * Offline they are copied for `cohort sync`; disabled, nothing happens (`[]`).
   */
  async save(glob: string, options?: SaveOptions): Promise<string[]> {
    if (this.#disabled('save')) return [];
    return this.#assets('save').files.save(glob, options);
  }

  /** Downloads a saved file of this run (or `runPath`); `undefined` when there is none. */
  async restore(name: string, options?: RestoreOptions): Promise<string | undefined> {
    return this.#assets('restore').files.restore(name, options);
  }

  #assets(what: string): RunAssets {
    if (this.#state !== 'running') throw new UsageError(`\`run.${what}()\` after the run finished`);
    if (!this.#p.assets) throw new UsageError(`\`run.${what}()\` needs a server; this run is ${this.#p.options.mode}`);
    return this.#p.assets;
  }

  /** Disabled mode: the file and artifact methods that work offline are no-ops (after the same finished-run guard). */
  #disabled(what: string): boolean {
    if (this.#p.options.mode !== 'disabled') return false;
    if (this.#state !== 'running') throw new UsageError(`\`run.${what}()\` after the run finished`);
    return true;
  }

  /** Finishes the run with exit code 0 (`await using run = await init()`). Prefer `withRun`, which sees exceptions. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.finish(0);
  }

  // ---- URLs and display ---------------------------------------------------

  /** The run's page, or `undefined` offline and disabled. */
  getUrl(): string | undefined {
    return this.#p.url;
  }

  /** The project's page, or `undefined` offline and disabled. */
  getProjectUrl(): string | undefined {
    const base = this.#p.httpUrl;
    if (base === undefined) return undefined;
    return `${base.replace(/\/$/, '')}/${encodeURIComponent(this.entity)}/${encodeURIComponent(this.project)}`;
  }

  /** The sweep's page, when the run belongs to a sweep. */
  getSweepUrl(): string | undefined {
    const project = this.getProjectUrl();
    if (project === undefined || this.#p.sweepId === '') return undefined;
    return `${project}/sweeps/${encodeURIComponent(this.#p.sweepId)}`;
  }

  /** The project's name. */
  projectName(): string {
    return this.project;
  }

  /** An `<iframe>` showing the run's page (attributes escaped), for notebooks. */
  toHtml(height = 420, hidden = false): string {
    const url = this.#p.url;
    if (url === undefined) return `<p>Run ${escapeHtml(this.id)} has no page (${escapeHtml(this.mode)} mode).</p>`;
    const h = Number.isFinite(height) && height > 0 ? Math.round(height) : 420;
    const style = `border:none;width:100%;height:${h}px;${hidden ? 'display:none;' : ''}`;
    return `<iframe src="${escapeHtml(url)}" style="${escapeHtml(style)}" title="${escapeHtml(`Run ${this.#name || this.id}`)}"></iframe>`;
  }

  /** What a notebook shows for the run: {@link Run.toHtml}'s `<iframe>`. */
  display(height = 420, hidden = false): string {
    return this.toHtml(height, hidden);
  }

  // ---- internals ------------------------------------------------------------

  #guard(method: string): void {
    if (this.#state === 'running') return;
    if (this.#state === 'detached') {
      throw new UsageError(`Run (${this.id}) is detached. The call to \`${method}\` will be ignored.`);
    }
    throw new UsageError(
      `Run (${this.id}) is finished. The call to \`${method}\` will be ignored. Please make sure that you are using an active run.`,
    );
  }

  #warn(message: string): void {
    if (!this.#settings.silent) this.#logger.warn(message);
  }
}

/** `defineMetric`'s options with a `Metric` step metric replaced by its name (anything else is left for the rules to check). */
function withStepMetricName(options: RunDefineMetricOptions | undefined): unknown {
  const step: unknown = options?.stepMetric;
  if (step === null || typeof step !== 'object' || typeof (step as { name?: unknown }).name !== 'string') return options;
  return { ...options, stepMetric: (step as Metric).name };
}

/** What a disabled run's `logArtifact`/`logModel` return: the artifact given, or an empty one named as a logged path would be. */
function disabledArtifact(runId: string, artifactOrPath: Artifact | string, name: string | undefined, type: string): Artifact {
  if (artifactOrPath instanceof Artifact) return artifactOrPath;
  if (typeof artifactOrPath !== 'string') throw new TypeError(`Expected an Artifact or a path, got ${typeof artifactOrPath}`);
  return new Artifact(name ?? `run-${runId}-${basename(artifactOrPath) || 'artifact'}`, type);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
