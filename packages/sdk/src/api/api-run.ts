import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { CohortError, checkFilePath } from '@cohort/protocol';
import { downloadBlobOverHttp } from './api-artifact.js';
import type { HttpClient } from './http-client.js';
import type { AlertView, SeriesOptions, SeriesResult, StateEventView } from './api-series.js';

/** A run as the server shows it (`GET /api/v1/runs/:entity/:project/:id`). */
export interface RunView {
  readonly id: string;
  readonly entity: string;
  readonly project: string;
  /** `entity/project/id`. */
  readonly path: string;
  readonly name: string;
  /** `running`, `finished`, `failed`, `crashed`, `killed`, `preempting` or `preempted`. */
  readonly state: string;
  readonly exitCode: number | null;
  readonly group: string;
  readonly jobType: string;
  readonly rank: number | null;
  readonly worldSize: number | null;
  readonly localRank: number | null;
  readonly node: string;
  readonly summary: Record<string, unknown>;
  readonly config: Record<string, unknown>;
  readonly tags: string[];
  readonly notes: string;
  readonly startTime: number;
  readonly endTime: number | null;
  readonly heartbeatAt: number | null;
  readonly runtime: number;
  readonly lastStep: number | null;
  readonly appliedSeq: number;
  /** `''` outside a sweep. */
  readonly sweepId: string;
  readonly host: string;
  readonly mode: string;
  readonly resumed: boolean;
  /** `"<run>?_step=<n>"` for a forked run, else `''`. */
  readonly forkedFrom: string;
  /** The run's page (`''` when the server does not say). */
  readonly url: string;
}

/** One history row: nested values plus `_step`, `_runtime`, `_timestamp`. */
export type HistoryRow = Record<string, unknown>;

/** Options of {@link ApiRun.history}. */
export interface HistoryOptions {
  /** Only these keys (leaf paths); rows without any of them are left out. */
  readonly keys?: readonly string[];
  /**
   * Downsample with full fidelity (the bucketing of {@link ApiRun.series}):
   * a key with more points than this in the range keeps, per bucket of
   * `xAxis` (`samples / 3` buckets), the rows of its min, its max and its
   * last value, so every spike survives; a key with fewer keeps every row.
   * Absent: every row (at most 100000; page with `scanHistory` past that).
   */
  readonly samples?: number;
  /** What the buckets cut, and the rows' order: `_step`, `_runtime`, `_timestamp` or a step metric. @defaultValue `'_step'` */
  readonly xAxis?: string;
  /** Inclusive. */
  readonly minStep?: number;
  /** Inclusive. */
  readonly maxStep?: number;
}

/** Options of {@link ApiRun.scanHistory}. */
export interface ScanHistoryOptions {
  /** Rows per request. @defaultValue 1000 */
  readonly pageSize?: number;
  /** The first step. @defaultValue 0 */
  readonly minStep?: number;
}

/** The server's fields, with the ones an older server may leave out filled in. */
function withDefaults(view: RunView): RunView {
  return {
    ...view,
    exitCode: view.exitCode ?? null,
    rank: view.rank ?? null,
    worldSize: view.worldSize ?? null,
    localRank: view.localRank ?? null,
    summary: view.summary ?? {},
    config: view.config ?? {},
    tags: view.tags ?? [],
    endTime: view.endTime ?? null,
    heartbeatAt: view.heartbeatAt ?? null,
    lastStep: view.lastStep ?? null,
    sweepId: view.sweepId ?? '',
    forkedFrom: view.forkedFrom ?? '',
    url: view.url ?? '',
  };
}

// The fields of a RunView are the ApiRun's own (declaration merging with the class below).
export interface ApiRun extends RunView {}

/**
 * A run read through the HTTP API (W&B's `wandb.apis.public.Run`): the
 * server's fields at the time of the request, plus history access.
 */
export class ApiRun {
  readonly #http: HttpClient;
  readonly #base: string;
  readonly #view: RunView;

  /** @internal Use `api.run()` or `api.runs()`. */
  constructor(http: HttpClient, view: RunView) {
    this.#http = http;
    this.#view = withDefaults(view);
    Object.assign(this, this.#view);
    this.#base = `/api/v1/runs/${encodeURIComponent(view.entity)}/${encodeURIComponent(view.project)}/${encodeURIComponent(view.id)}`;
  }

  /**
   * History rows (W&B's `run.history()`), each `{ _step, _runtime,
   * _timestamp, ...values }` (with `keys`: `_step` and those keys), ordered
   * by `xAxis`; `samples` downsamples keeping every key's spikes.
   *
   * @example
   * const rows = await run.history({ keys: ['loss'], samples: 500 });
   * Math.max(...rows.map((r) => r.loss as number)); // the true max, whatever the sampling
   */
  async history(options: HistoryOptions = {}): Promise<HistoryRow[]> {
    const body = await this.#http.get(`${this.#base}/history`, {
      keys: options.keys?.join(','),
      samples: options.samples,
      xAxis: options.xAxis,
      minStep: options.minStep,
      maxStep: options.maxStep,
    });
    return rowsOf(body, 'history');
  }

  /**
   * Numeric metrics downsampled with full fidelity (what the dashboard
   * draws): the x-range cut into `samples` buckets, each with the min, max
   * and last value, so no spike is lost; a metric with fewer points comes
   * back whole.
   *
   * @example
   * const { series } = await run.series({ keys: ['loss'], samples: 500, xAxis: '_runtime' });
   * series.loss?.max; // the largest loss in each bucket
   */
  async series(options: SeriesOptions = {}): Promise<SeriesResult> {
    return (await this.#http.get(`${this.#base}/series`, {
      keys: options.keys?.join(','),
      buckets: options.samples,
      xAxis: options.xAxis,
      minStep: options.minStep,
      maxStep: options.maxStep,
    })) as SeriesResult;
  }

  /** The run's alerts, oldest first. */
  async alerts(): Promise<AlertView[]> {
    return ((await this.#http.get(`${this.#base}/alerts`)) as { alerts: AlertView[] }).alerts;
  }

  /** The run's state history (start, preemptions, crashes, resumes, finish), oldest first. */
  async stateHistory(): Promise<StateEventView[]> {
    return ((await this.#http.get(`${this.#base}/state-history`)) as { events: StateEventView[] }).events;
  }

  /** Every history row in step order (W&B's `run.scan_history()`), paging through the server. */
  async *scanHistory(options: ScanHistoryOptions = {}): AsyncGenerator<HistoryRow> {
    const pageSize = options.pageSize ?? 1000;
    if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
      throw new CohortError('INVALID_ARGUMENT', `Expected \`pageSize\` to be an integer from 1 and up, got ${String(pageSize)}`);
    }
    let fromStep: number | null = options.minStep ?? 0;
    while (fromStep !== null) {
      const body = await this.#http.get(`${this.#base}/history/scan`, { fromStep, pageSize });
      const rows = rowsOf(body, 'history/scan');
      yield* rows;
      const next = (body as { nextStep?: unknown }).nextStep;
      fromStep = typeof next === 'number' && rows.length > 0 ? next : null;
    }
  }

  /** The run's saved files (`run.save`): path, sha256, size, when last uploaded. */
  async files(): Promise<Array<{ path: string; digest: string; size: number; updatedAt: number }>> {
    return ((await this.#http.get(`${this.#base}/files`)) as { files: Array<{ path: string; digest: string; size: number; updatedAt: number }> }).files;
  }

  /**
   * Downloads one saved file into `root` (default `.`), keeping its path;
   * resolves to where it went. `output.log` is the console capture.
   */
  async downloadFile(name: string, root = '.'): Promise<string> {
    const path = checkFilePath(name, 'name');
    const target = join(root, ...path.split('/'));
    const file = (await this.files()).find((f) => f.path === path);
    if (file) {
      await downloadBlobOverHttp(this.#http, file.digest, target);
      return target;
    }
    if (path !== 'output.log') throw new CohortError('NOT_FOUND', `run ${this.id}: no file ${JSON.stringify(path)}`);
    await mkdir(dirname(target), { recursive: true });
    const body = await this.#http.getStream(`${this.#base}/files/output.log`);
    await pipeline(Readable.fromWeb(body as WebReadableStream<Uint8Array>), createWriteStream(target));
    return target;
  }

  /** The fields as plain data. */
  toJSON(): RunView {
    return { ...this.#view };
  }
}

function rowsOf(body: unknown, what: string): HistoryRow[] {
  const rows = body !== null && typeof body === 'object' ? (body as { rows?: unknown }).rows : undefined;
  if (!Array.isArray(rows)) throw new CohortError('INTERNAL', `GET ${what}: expected { rows: [...] } from the server`);
  return rows as HistoryRow[];
}
