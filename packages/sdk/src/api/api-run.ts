import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { CohortError, checkFilePath, httpPath, type HistoryPage, type HistoryRow, type RunFile, type RunWithUrl } from '@cohort/protocol';
import { downloadBlobOverHttp } from './api-artifact.js';
import { apiGet } from './api-get.js';
import type { HttpClient } from './http-client.js';
import type { AlertView, SeriesOptions, SeriesResult, StateEventView } from './api-series.js';

/** A run as the server shows it (`GET /api/v1/runs/:entity/:project/:id`): the HTTP API's shape (@cohort/protocol, http/runs.ts). `url` is the run's page, `''` for a run read from a listing. */
export type RunView = Readonly<RunWithUrl>;

/** One history row: nested values plus `_step`, `_runtime`, `_timestamp`. */
export type { HistoryRow } from '@cohort/protocol';

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

// The fields of a RunView are the ApiRun's own (declaration merging with the class below).
export interface ApiRun extends RunView {}

/**
 * A run read through the HTTP API (W&B's `wandb.apis.public.Run`): the
 * server's fields at the time of the request, plus history access.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the constructor assigns every RunView field (Object.assign).
export class ApiRun {
  readonly #http: HttpClient;
  readonly #key: { entity: string; project: string; id: string };
  readonly #view: RunView;

  /** @internal Use `api.run()` or `api.runs()`. */
  constructor(http: HttpClient, view: RunView) {
    this.#http = http;
    this.#view = view;
    Object.assign(this, view);
    this.#key = { entity: view.entity, project: view.project, id: view.id };
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
    const body = await apiGet(this.#http, '/api/v1/runs/{entity}/{project}/{id}/history', this.#key, {
      keys: options.keys?.join(','),
      samples: options.samples,
      xAxis: options.xAxis,
      minStep: options.minStep,
      maxStep: options.maxStep,
    });
    return body.rows;
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
    return apiGet(this.#http, '/api/v1/runs/{entity}/{project}/{id}/series', this.#key, {
      keys: options.keys?.join(','),
      buckets: options.samples,
      xAxis: options.xAxis,
      minStep: options.minStep,
      maxStep: options.maxStep,
    });
  }

  /** The run's alerts, oldest first. */
  async alerts(): Promise<AlertView[]> {
    return (await apiGet(this.#http, '/api/v1/runs/{entity}/{project}/{id}/alerts', this.#key)).alerts;
  }

  /** The run's state history (start, preemptions, crashes, resumes, finish), oldest first. */
  async stateHistory(): Promise<StateEventView[]> {
    return (await apiGet(this.#http, '/api/v1/runs/{entity}/{project}/{id}/state-history', this.#key)).events;
  }

  /** Every history row in step order (W&B's `run.scan_history()`), paging through the server. */
  async *scanHistory(options: ScanHistoryOptions = {}): AsyncGenerator<HistoryRow> {
    const pageSize = options.pageSize ?? 1000;
    if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
      throw new CohortError('INVALID_ARGUMENT', `Expected \`pageSize\` to be an integer from 1 and up, got ${String(pageSize)}`);
    }
    let fromStep: number | null = options.minStep ?? 0;
    while (fromStep !== null) {
      const { rows, nextStep }: HistoryPage = await apiGet(this.#http, '/api/v1/runs/{entity}/{project}/{id}/history/scan', this.#key, { fromStep, pageSize });
      yield* rows;
      fromStep = rows.length > 0 ? nextStep : null;
    }
  }

  /** The run's saved files (`run.save`): path, sha256, size, when last uploaded. */
  async files(): Promise<RunFile[]> {
    return (await apiGet(this.#http, '/api/v1/runs/{entity}/{project}/{id}/files', this.#key)).files;
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
    const body = await this.#http.getStream(httpPath('/api/v1/runs/{entity}/{project}/{id}/files/{path}', { ...this.#key, path: 'output.log' }));
    await pipeline(Readable.fromWeb(body as WebReadableStream<Uint8Array>), createWriteStream(target));
    return target;
  }

  /** The fields as plain data. */
  toJSON(): RunView {
    return { ...this.#view };
  }
}
