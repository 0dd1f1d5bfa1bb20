import { CohortError, DEFAULT_LIMITS, type OpenRunRequestMessage, type OpenRunResponseMessage, type RecordMessage } from '@cohort/protocol';
import { type RunHead, type BatchWrite, type GroupKey, type NewAlert, type ProjectInfo, type RankProgress, type SystemSample, type RunKey, type RunState, type Store, type StoredAlert, type StoredRun, type StoredRunEvent } from '@cohort/store';
import { planBatch, type ApplyResult } from './apply-batch.js';
import { listRunsPage, type RunFilters, type RunPage, type RunPageOptions } from './run-list.js';
import type { RunLimits } from './run-budget.js';
import { readHistory, scanHistoryPage, type HistoryOptions, type HistoryPage, type ScanHistoryOptions } from './history-query.js';
import { openRun, replaySummary } from './open-run.js';
import { readSeries, type SeriesOptions, type SeriesResult } from './series-query.js';
import { decideGroup, resolveGroupCheckOptions, type GroupCheckOptions, type GroupCheckReport } from './group-checks.js';
import { cellsToRows, toGroupView, type GroupHistoryRow, type GroupView } from './group-view.js';
import { toRunView, type RunView } from './run-view.js';
import { checkRunsSeries, readRunsSeries, type RunsSeriesOptions, type RunsSeriesResult } from './runs-series.js';
import { SummaryStateCache, type WrittenSummaryState } from './summary-state-cache.js';

/** Options of {@link Engine}. */
export interface EngineOptions {
  /** The entity of requests that name none. @defaultValue `'local'` */
  defaultEntity?: string;
  /** The clock, in seconds since the Unix epoch (tests pass a fake one). @defaultValue `() => Date.now() / 1000` */
  now?: () => number;
  /** Seconds between two progress samples of a rank (step rates are measured from them). @defaultValue 1 */
  progressSampleSeconds?: number;
  /** The window step rates are shown over in group views. @defaultValue 30 */
  rateWindowSeconds?: number;
  /** Most runs one project may hold; creating one more is RESOURCE_EXHAUSTED. @defaultValue `DEFAULT_LIMITS.maxRunsPerProject` */
  maxRunsPerProject?: number;
  /** Most distinct keys one run may hold; a record adding more is refused. @defaultValue `DEFAULT_LIMITS.maxKeysPerRun` */
  maxKeysPerRun?: number;
  /** Largest summary of one run (JSON characters); a record that could grow it past this is refused. @defaultValue `DEFAULT_LIMITS.maxSummaryBytes` */
  maxSummaryBytes?: number;
  /**
   * The parsed summary states kept between a run's batches (one cache per
   * engine): `new SummaryStateCache(0)` keeps none. @defaultValue `new SummaryStateCache()`
   */
  summaryStateCache?: SummaryStateCache;
}

/** Options of {@link Engine.groupHistory}. */
export interface GroupHistoryOptions {
  keys?: string[];
  minStep?: number;
  maxStep?: number;
  /** The most aggregate cells read. @defaultValue 1 000 000 */
  limit?: number;
}

/**
 * A run, and optionally which shared-mode writer's records these are: each
 * writer (its `label`) numbers its records from 1 with its own applied seq.
 */
export interface WriterKey extends RunKey {
  /** The writer's label in shared mode; '' or absent for the run's own records. */
  writer?: string;
}

/** A run whose state {@link Engine.expireStaleRuns} changed. */
export interface ExpiredRun extends RunKey {
  state: RunState;
}

/** One batch of {@link Engine.applyBatches}: a run (or one shared-mode writer of it) and its records in seq order. */
export interface BatchItem {
  run: WriterKey;
  records: readonly RecordMessage[];
}

/** A planned batch: what to report, and the write to commit (absent when every record was applied before). */
interface PlannedBatch {
  write?: BatchWrite;
  result: ApplyResult;
  /** The summary state the write stores, when it stores one. */
  summaryState?: WrittenSummaryState;
}

/** How many times a batch is planned again after losing a race to another applier. */
const MAX_COMMIT_ATTEMPTS = 3;

/**
 * The record processor: pure logic over a {@link Store}. It opens runs
 * (create, resume, fork, rewind), applies record batches exactly once and in
 * seq order, and answers the queries of the HTTP API and the SDK's `Api`.
 *
 * @example
 * const engine = new Engine(openSqliteStore(':memory:'));
 * const opened = await engine.openRun({ ...request, project: 'demo', runId: 'r1' });
 * await engine.applyBatch({ entity: 'local', project: 'demo', runId: 'r1' }, records);
 * await engine.history({ entity: 'local', project: 'demo', runId: 'r1' }, { keys: ['loss'] });
 */
export class Engine {
  readonly #store: Store;
  readonly #defaultEntity: string;
  readonly #now: () => number;
  readonly #sampleSeconds: number;
  readonly #rateWindow: number;
  readonly #maxRunsPerProject: number;
  readonly #runLimits: RunLimits;
  readonly #summaries: SummaryStateCache;
  #closed = false;

  constructor(store: Store, options: EngineOptions = {}) {
    this.#store = store;
    this.#defaultEntity = options.defaultEntity ?? 'local';
    this.#now = options.now ?? (() => Date.now() / 1000);
    this.#sampleSeconds = options.progressSampleSeconds ?? 1;
    this.#rateWindow = options.rateWindowSeconds ?? 30;
    this.#maxRunsPerProject = options.maxRunsPerProject ?? DEFAULT_LIMITS.maxRunsPerProject;
    this.#runLimits = {
      maxKeysPerRun: options.maxKeysPerRun ?? DEFAULT_LIMITS.maxKeysPerRun,
      maxSummaryBytes: options.maxSummaryBytes ?? DEFAULT_LIMITS.maxSummaryBytes,
    };
    this.#summaries = options.summaryStateCache ?? new SummaryStateCache();
  }

  /** The store this engine works over. */
  get store(): Store {
    return this.#store;
  }

  /** The entity used when a request names none. */
  get defaultEntity(): string {
    return this.#defaultEntity;
  }

  /**
   * Creates or resumes a run, or forks/rewinds one (docs/run-semantics.md §5). Resume
   * modes: '' and 'never' (an existing id is a `UsageError`), 'must' (a
   * missing id is a `UsageError`), 'allow' and 'auto' (resume if it exists).
   */
  async openRun(req: OpenRunRequestMessage): Promise<OpenRunResponseMessage> {
    this.#open();
    const res = await openRun({ store: this.#store, now: this.#now(), defaultEntity: this.#defaultEntity, maxRunsPerProject: this.#maxRunsPerProject }, req);
    if (res.group === '' && !(req.restartAttempt > 0)) return res;
    const stored = await this.#find({ entity: res.entity, project: res.project, runId: res.runId });
    if (res.group !== '') {
      const primary = req.primary && req.mode !== 'shared' && req.rank >= 0 ? req.rank : null;
      await this.#store.announceGroup(
        { entity: stored.entity, project: stored.project, group: stored.group },
        { worldSize: stored.worldSize, primaryRank: primary },
        this.#now(),
      );
    }
    const progress = await this.#store.getRankProgress(stored.pk);
    const attempt = req.restartAttempt > 0 ? req.restartAttempt : 0;
    if (attempt > (progress?.restartAttempt ?? 0)) {
      // A later restart attempt may replay steps from a checkpoint: its first rows rewind the run (see planBatch).
      await this.#store.patchRankProgress(stored.pk, { restartAttempt: attempt, replayArmed: res.resumed });
      await this.#store.updateRun(stored.pk, {}, { event: { state: 'running', at: this.#now(), detail: `restart attempt ${attempt} started at step ${res.startingStep}` } });
    } else if (!progress) {
      await this.#store.patchRankProgress(stored.pk, {});
    }
    return res;
  }

  /**
   * Applies records of one run (in seq order) in one transaction. Records at
   * or below the stored applied seq are skipped, so a resent batch changes
   * nothing; a gap is `FAILED_PRECONDITION`; an unknown run `NOT_FOUND`. A
   * record that cannot apply (a config change without `allowValChange`, a bad
   * definition) is reported in `rejected` with its INVALID_ARGUMENT error,
   * and the others still apply, so one bad record never blocks a run's WAL.
   */
  async applyBatch(run: WriterKey, records: readonly RecordMessage[]): Promise<ApplyResult> {
    this.#open();
    const key = this.#key(run);
    const writer = run.writer ?? '';
    for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++) {
      const stored = await this.#find(key);
      const applied = writer === '' ? stored.appliedSeq : await this.#store.writerAppliedSeq(stored.pk, writer);
      const planned = await this.#plan(stored, writer, applied, records);
      if (!planned.write) return planned.result;
      if (await this.#store.commitBatch(stored.pk, stored.version, planned.write)) {
        this.#summaries.committed(stored, planned.summaryState);
        return planned.result;
      }
      // Another applier moved the run on: look again.
      this.#summaries.lost(stored);
    }
    throw new CohortError('FAILED_PRECONDITION', `applyBatch: run ${key.entity}/${key.project}/${key.runId} kept changing under this applier; is another one applying it?`);
  }

  /**
   * Applies the batches of many runs (a scaled-mode job) with round trips
   * that do not grow with their number: every run read in one query (writer
   * seqs in another, for shared-mode writers), each batch planned as by
   * {@link applyBatch}, then all committed in ONE transaction
   * (`Store.commitBatches`). A batch whose run moved on meanwhile (its
   * version guard failed), or that is not the first of its run in `items`,
   * goes through {@link applyBatch} afterwards, in order. When the one
   * transaction fails for anything but an unreachable store, each of its
   * batches is applied alone, so a bad batch fails only itself.
   *
   * Answers one entry per item, in order: what {@link applyBatch} answers,
   * or `{ error }` where it would throw.
   *
   * @example
   * const results = await engine.applyBatches([{ run: { entity: 'local', project: 'p', runId: 'a' }, records }, ...]);
   */
  async applyBatches(items: readonly BatchItem[]): Promise<Array<ApplyResult | { error: unknown }>> {
    this.#open();
    const results: Array<ApplyResult | { error: unknown } | undefined> = new Array(items.length).fill(undefined);
    const keys = items.map((item) => this.#key(item.run));
    // The first batch of each run goes into the one transaction; later ones follow it through applyBatch.
    const firstOf = new Map<string, number>();
    const later: number[] = [];
    keys.forEach((k, i) => {
      const name = JSON.stringify([k.entity, k.project, k.runId]);
      if (firstOf.has(name)) later.push(i);
      else firstOf.set(name, i);
    });
    const first = [...firstOf.values()];
    const alone = new Set<number>();
    try {
      const runs = await this.#store.findRuns(first.map((i) => keys[i]!));
      const writers: Array<{ index: number; pk: number; writer: string }> = [];
      first.forEach((i, n) => {
        const writer = items[i]!.run.writer ?? '';
        const stored = runs[n];
        if (writer !== '' && stored) writers.push({ index: i, pk: stored.pk, writer });
      });
      const writerSeqs = new Map<number, number>();
      if (writers.length > 0) {
        const seqs = await this.#store.writerAppliedSeqs(writers);
        writers.forEach((w, n) => writerSeqs.set(w.index, seqs[n]!));
      }
      const planned = await Promise.all(
        first.map(async (i, n) => {
          const stored = runs[n];
          const k = keys[i]!;
          try {
            if (!stored) throw new CohortError('NOT_FOUND', `run: no run ${k.entity}/${k.project}/${k.runId}`);
            const writer = items[i]!.run.writer ?? '';
            const applied = writer === '' ? stored.appliedSeq : writerSeqs.get(i)!;
            return { index: i, stored, plan: await this.#plan(stored, writer, applied, items[i]!.records) };
          } catch (err) {
            results[i] = { error: err };
            return undefined;
          }
        }),
      );
      const commits: Array<{ index: number; stored: StoredRun; write: BatchWrite; plan: PlannedBatch }> = [];
      for (const p of planned) {
        if (!p) continue;
        if (p.plan.write) commits.push({ index: p.index, stored: p.stored, write: p.plan.write, plan: p.plan });
        else results[p.index] = p.plan.result;
      }
      if (commits.length > 0) {
        try {
          const ok = await this.#store.commitBatches(commits.map((c) => ({ pk: c.stored.pk, expectedVersion: c.stored.version, write: c.write })));
          commits.forEach((c, n) => {
            if (ok[n]) {
              results[c.index] = c.plan.result;
              this.#summaries.committed(c.stored, c.plan.summaryState);
            } else {
              this.#summaries.lost(c.stored);
              alone.add(c.index);
            }
          });
        } catch (err) {
          if (isUnreachable(err)) for (const c of commits) results[c.index] = { error: err };
          else for (const c of commits) alone.add(c.index);
        }
      }
    } catch (err) {
      // The reads failed: nothing was planned or written.
      for (const i of first) results[i] ??= { error: err };
    }
    // One chain per run: its retried first batch, then its later ones, in order; runs in parallel.
    const chains = new Map<string, number[]>();
    for (const i of [...alone, ...later].sort((a, b) => a - b)) {
      const name = JSON.stringify([keys[i]!.entity, keys[i]!.project, keys[i]!.runId]);
      chains.set(name, [...(chains.get(name) ?? []), i]);
    }
    await Promise.all(
      [...chains.values()].map(async (chain) => {
        for (const i of chain) {
          try {
            results[i] = await this.applyBatch(items[i]!.run, items[i]!.records);
          } catch (err) {
            results[i] = { error: err };
          }
        }
      }),
    );
    return results.map((r) => r!);
  }

  /**
   * Plans one batch of a stored run: the records above `applied` (checked for
   * order and gaps), in one pass that leaves out and reports each record that
   * fails. `write` is absent when every record was applied before.
   */
  async #plan(stored: StoredRun, writer: string, applied: number, records: readonly RecordMessage[]): Promise<PlannedBatch> {
    const fresh = newRecords(stored.runId, applied, records);
    if (fresh.length === 0) return { result: { appliedSeq: applied, droppedRows: 0, rejected: [] } };
    // Progress exists only for group members and restarted runs (which open resumed): skip the read for the rest.
    const progress = stored.group !== '' || stored.resumed ? await this.#store.getRankProgress(stored.pk) : undefined;
    const ctx = {
      limits: this.#runLimits,
      progress,
      progressSampleSeconds: this.#sampleSeconds,
      replaySummary: (step: number) => replaySummary(this.#store, stored, step),
      now: this.#now(),
      summaryState: () => this.#summaries.get(stored),
      lastAlertAt: async (title: string): Promise<number | undefined> => {
        const scope = stored.group === '' ? { runPk: stored.pk } : { runPk: stored.pk, group: { entity: stored.entity, project: stored.project, group: stored.group } };
        return (await this.#store.lastAlert(scope, title))?.timestamp;
      },
    };
    const plan = await planBatch(stored, fresh, ctx);
    if (writer !== '') plan.write.writer = writer;
    const result = { appliedSeq: plan.write.appliedSeq, droppedRows: plan.droppedRows, rejected: plan.rejected };
    return { write: plan.write, result, ...(plan.summaryState && { summaryState: plan.summaryState }) };
  }

  /** Records a heartbeat (`at` in seconds since the epoch); a crashed run that beats again is running again. */
  async heartbeat(run: RunKey, at: number): Promise<void> {
    this.#open();
    const stored = await this.#find(this.#key(run));
    const live = stored.state === 'running' || stored.state === 'preempting' || stored.state === 'crashed';
    if (!live) {
      await this.#store.heartbeat(stored.pk, at);
      return;
    }
    const runtime = Math.max(stored.runtime, stored.runtimeBase + Math.max(0, at - stored.openedAt));
    if (stored.state === 'crashed') {
      await this.#store.updateRun(stored.pk, { state: 'running', heartbeatAt: at, runtime }, { event: { state: 'running', at: this.#now(), detail: 'heartbeat after the run was marked crashed' } });
      return;
    }
    await this.#store.heartbeat(stored.pk, at, runtime);
  }

  /** The highest seq applied for a run, or for one shared-mode writer of it (0 before any). */
  async appliedSeq(run: WriterKey): Promise<number> {
    this.#open();
    const stored = await this.#find(this.#key(run));
    return run.writer ? this.#store.writerAppliedSeq(stored.pk, run.writer) : stored.appliedSeq;
  }

  /**
   * Marks runs whose heartbeat is older than `timeoutSeconds`: running →
   * crashed, preempting → preempted (docs/run-semantics.md §5). For the preemption watcher.
   */
  async expireStaleRuns(timeoutSeconds: number): Promise<ExpiredRun[]> {
    this.#open();
    const now = this.#now();
    const out: ExpiredRun[] = [];
    for (const run of await this.#store.listStaleRuns(['running', 'preempting'], now - timeoutSeconds)) {
      const state: RunState = run.state === 'preempting' ? 'preempted' : 'crashed';
      const ok = await this.#store.updateRun(
        run.pk,
        { state, endTime: now },
        { expectedVersion: run.version, event: { state, at: now, detail: `no heartbeat for ${timeoutSeconds} s` } },
      );
      if (ok) out.push({ entity: run.entity, project: run.project, runId: run.runId, state });
    }
    return out;
  }

  /** Projects with runs (of one entity when given). */
  async listProjects(entity?: string): Promise<ProjectInfo[]> {
    this.#open();
    return this.#store.listProjects(entity);
  }

  /**
   * Runs of a project, newest first, filtered, a page at a time: pass
   * `nextCursor` as `page.cursor` until it is absent. Config and summary
   * only when `page.fields` asks for them (run-list.ts).
   */
  async listRuns(entity: string, project: string, filters: RunFilters = {}, page: RunPageOptions = {}): Promise<RunPage> {
    this.#open();
    return listRunsPage(this.#store, entity === '' ? this.#defaultEntity : entity, project, filters, page);
  }

  /**
   * What tells that a run changed (its version and heartbeat), without
   * reading or parsing its config and summary: for live views' polls.
   * `undefined` for an unknown run.
   */
  async runHead(run: RunKey): Promise<RunHead | undefined> {
    this.#open();
    return this.#store.findRunHead(this.#key(run));
  }

  /** One run, or `undefined`. */
  async getRun(run: RunKey): Promise<RunView | undefined> {
    this.#open();
    const stored = await this.#store.findRun(this.#key(run));
    return stored && toRunView(stored);
  }

  /**
   * History rows as logged (nested), `_step` ascending, each with `_step`,
   * `_runtime` and `_timestamp`. With `keys`: only rows holding one of them,
   * each with those keys and `_step`. With `samples`: the rows of each key's
   * min, max and last value per bucket of `xAxis` (history-query.ts), so
   * spikes survive; ordered by `xAxis`. More than `MAX_HISTORY_ROWS` rows:
   * `RESOURCE_EXHAUSTED`. Unknown run: `NOT_FOUND`.
   */
  async history(run: RunKey, options: HistoryOptions = {}): Promise<Array<Record<string, unknown>>> {
    this.#open();
    return readHistory(this.#store, await this.#findPk(this.#key(run)), options);
  }

  /**
   * Numeric metrics downsampled for charts: the x-range cut into `buckets`
   * equal slices, each keeping the min, max and last value, so every spike
   * survives (series-query.ts). Unknown run: `NOT_FOUND`.
   */
  async series(run: RunKey, options: SeriesOptions = {}): Promise<SeriesResult> {
    this.#open();
    return readSeries(this.#store, await this.#findPk(this.#key(run)), options);
  }

  /**
   * One metric of many runs of a project (at most `MAX_SERIES_RUNS`),
   * each bucketed as {@link Engine.series}: the project workspace's chart of
   * `key`. Runs that do not exist are listed in `missing`.
   */
  async runsSeries(entity: string, project: string, runIds: readonly string[], key: string, options: RunsSeriesOptions = {}): Promise<RunsSeriesResult> {
    this.#open();
    checkRunsSeries(runIds, key);
    const runs = await Promise.all(runIds.map(async (runId) => ({ runId, pk: (await this.#store.findRunHead(this.#key({ entity, project, runId })))?.pk })));
    return readRunsSeries(this.#store, runs, key, options);
  }

  /** Every row, a page at a time: pass `nextStep` as the next `fromStep` until it is `null`. */
  async scanHistory(run: RunKey, options: ScanHistoryOptions = {}): Promise<HistoryPage> {
    this.#open();
    return scanHistoryPage(this.#store, await this.#findPk(this.#key(run)), options);
  }

  /** A run's stored alerts, suppressed ones included, oldest first. */
  async alerts(run: RunKey): Promise<StoredAlert[]> {
    this.#open();
    return this.#store.listAlerts(await this.#findPk(this.#key(run)));
  }

  /** A run's state history, oldest first. */
  async runEvents(run: RunKey): Promise<StoredRunEvent[]> {
    this.#open();
    return this.#store.listRunEvents(await this.#findPk(this.#key(run)));
  }

  /**
   * Groups of a project (of every project when `project` is absent), by
   * name, with their members and derived states; at most `limit` (default 500).
   */
  async listGroups(entity: string, project?: string, limit = 500): Promise<GroupView[]> {
    this.#open();
    const groups = await this.#store.listGroups({ entity: entity === '' ? this.#defaultEntity : entity, ...(project !== undefined && { project }) });
    const out: GroupView[] = [];
    for (const g of groups.slice(0, limit)) out.push(await this.#groupView(g.entity, g.project, g.group));
    return out;
  }

  /**
   * A group: expected world size, primary, derived state, and every member
   * with its state, when it ended (which rank died and when), its step rate,
   * time since its last step and straggler flag. Unknown group: `NOT_FOUND`.
   */
  async group(key: GroupKey): Promise<GroupView> {
    this.#open();
    return this.#groupView(key.entity === '' ? this.#defaultEntity : key.entity, key.project, key.group);
  }

  /**
   * The group's aggregate history: rows by step, each metric as
   * `{ mean, min, max, count }` over the ranks that logged it at that step
   * (finite numbers only). Maintained incrementally as batches apply.
   */
  async groupHistory(key: GroupKey, options: GroupHistoryOptions = {}): Promise<GroupHistoryRow[]> {
    this.#open();
    const k = { ...key, entity: key.entity === '' ? this.#defaultEntity : key.entity };
    if (!(await this.#store.findGroup(k))) throw new CohortError('NOT_FOUND', `group: no group ${k.entity}/${k.project}/${k.group}`);
    const cells = await this.#store.readGroupAggregates(k, {
      ...(options.keys !== undefined && { keys: options.keys }),
      ...(options.minStep !== undefined && { minStep: options.minStep }),
      ...(options.maxStep !== undefined && { maxStep: options.maxStep }),
      ...(options.limit !== undefined && { limit: options.limit }),
    });
    return cellsToRows(cells);
  }

  /** A run's system metric samples (CPU, memory, GPUs), oldest first. */
  async systemMetrics(run: RunKey, options: { since?: number; limit?: number } = {}): Promise<SystemSample[]> {
    this.#open();
    return this.#store.readSystemMetrics(await this.#findPk(this.#key(run)), options);
  }

  /**
   * Flags stragglers and stalled groups among groups with a live member, and
   * raises an alert (stored on the rank's run, or the primary's) for each new
   * flag; clears flags that no longer hold. For a periodic housekeeping
   * check, once across coordinators (like {@link Engine.expireStaleRuns}).
   */
  async checkGroups(options: GroupCheckOptions = {}): Promise<GroupCheckReport> {
    this.#open();
    const o = resolveGroupCheckOptions(options);
    const now = this.#now();
    const report: GroupCheckReport = { groups: 0, stragglers: [], recovered: [], stalled: [], unstalled: [] };
    for (const g of await this.#store.listGroups({ active: true })) {
      report.groups++;
      const members = await this.#store.listRuns(g.entity, g.project, { group: g.group });
      const progress = new Map<number, RankProgress>((await this.#store.listRankProgress(members.map((m) => m.pk))).map((p) => [p.runPk, p]));
      const d = decideGroup(g, members, progress, now, o, report);
      for (const f of d.flags) await this.#store.patchRankProgress(f.run.pk, f.patch);
      if (d.stalledAt !== undefined) await this.#store.updateGroup(g, { stalledAt: d.stalledAt }, now);
      for (const a of d.alerts) await this.#storeAlert(a.run.pk, a.alert);
    }
    return report;
  }

  async #storeAlert(pk: number, alert: NewAlert): Promise<void> {
    for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++) {
      const run = await this.#store.getRunByPk(pk);
      if (!run) return;
      // Through the batch path, so the alert lands like one the run sent itself (its applied seq unchanged).
      if (await this.#store.commitBatch(pk, run.version, { appliedSeq: run.appliedSeq, alerts: [alert] })) return;
    }
  }

  async #groupView(entity: string, project: string, group: string): Promise<GroupView> {
    const g = await this.#store.findGroup({ entity, project, group });
    if (!g) throw new CohortError('NOT_FOUND', `group: no group ${entity}/${project}/${group}`);
    const members = await this.#store.listRuns(entity, project, { group });
    const progress = new Map<number, RankProgress>((await this.#store.listRankProgress(members.map((m) => m.pk))).map((p) => [p.runPk, p]));
    return toGroupView(g, members, progress, this.#now(), this.#rateWindow);
  }

  /** Stops accepting calls and closes the store. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#store.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #open(): void {
    if (this.#closed) throw new CohortError('FAILED_PRECONDITION', 'engine: closed');
  }

  #key(run: RunKey): RunKey {
    return { entity: run.entity === '' ? this.#defaultEntity : run.entity, project: run.project, runId: run.runId };
  }

  /** The pk of a run for the read paths, which need nothing else of its row (its summary may be megabytes). */
  async #findPk(key: RunKey): Promise<number> {
    const head = await this.#store.findRunHead(key);
    if (head === undefined) throw new CohortError('NOT_FOUND', `run: no run ${key.entity}/${key.project}/${key.runId}`);
    return head.pk;
  }

  async #find(key: RunKey): Promise<StoredRun> {
    const run = await this.#store.findRun(key);
    if (!run) throw new CohortError('NOT_FOUND', `run: no run ${key.entity}/${key.project}/${key.runId}`);
    return run;
  }
}

/** True for the errors of a store that cannot be reached: applying batches one by one would only fail again. */
function isUnreachable(err: unknown): boolean {
  return err instanceof CohortError && (err.code === 'UNAVAILABLE' || err.code === 'DEADLINE_EXCEEDED');
}

/** The records above the applied seq, checked for order and gaps. */
function newRecords(runId: string, appliedSeq: number, records: readonly RecordMessage[]): RecordMessage[] {
  const fresh: RecordMessage[] = [];
  let prev = 0;
  for (const r of records) {
    if (!Number.isSafeInteger(r.seq) || r.seq < 1) {
      throw new CohortError('INVALID_ARGUMENT', `records: seq must be an integer from 1 up, got ${r.seq}`);
    }
    if (r.seq <= prev) throw new CohortError('INVALID_ARGUMENT', `records: seqs must increase, got ${r.seq} after ${prev}`);
    prev = r.seq;
    if (r.seq <= appliedSeq) continue;
    const expected = fresh.length === 0 ? appliedSeq + 1 : fresh[fresh.length - 1]!.seq + 1;
    if (r.seq !== expected) {
      throw new CohortError(
        'FAILED_PRECONDITION',
        `records: gap in run ${runId}: expected seq ${expected} (applied up to ${appliedSeq}) but got seq ${r.seq}`,
      );
    }
    fresh.push(r);
  }
  return fresh;
}

