import { invalidArgument, type ProjectView, type RunPage } from '@cohort/protocol';
import { DEFAULT_URL, readEnv } from '../env.js';
import { isHttpUrl } from '../transport/endpoint.js';
import { ApiRun } from './api-run.js';
import { apiGet } from './api-get.js';
import { HttpClient } from './http-client.js';
import { fetchArtifact } from './api-artifact.js';
import type { Artifact } from '../artifacts/artifact.js';
import { ApiGroup } from './api-group.js';
import { fetchSweep, type ApiSweep } from './api-sweep.js';

/** Options of {@link Api}. */
export interface ApiOptions {
  /** The server's HTTP URL. @defaultValue `COHORT_URL`, else `http://127.0.0.1:7712` */
  readonly baseUrl?: string;
  /** @defaultValue `COHORT_API_KEY` */
  readonly apiKey?: string;
  /** Per request. @defaultValue 30000 */
  readonly timeoutMs?: number;
}

/** Options of {@link Api.runs}. */
export interface RunsOptions {
  /** A filter object, sent as JSON (docs/http-api.md lists the operators). */
  readonly filters?: Readonly<Record<string, unknown>>;
}

/** A project, as `GET /api/v1/projects` lists it: the HTTP API's shape (@cohort/protocol, http/server.ts). */
export type { ProjectView } from '@cohort/protocol';

/**
 * Reads runs, history and summaries over the coordinator's HTTP API
 * (W&B's `wandb.Api`). Constructing one does no I/O.
 *
 * @example
 * const api = new Api();
 * const run = await api.run('local/mnist/abc123');
 * for await (const row of run.scanHistory()) console.log(row._step, row.loss);
 */
export class Api {
  readonly #http: HttpClient;
  #defaultEntity: Promise<string> | undefined;

  constructor(options: ApiOptions = {}) {
    const env = readEnv();
    const baseUrl = options.baseUrl ?? env.url ?? DEFAULT_URL;
    if (!isHttpUrl(baseUrl)) {
      throw invalidArgument(`Expected \`baseUrl\` (or COHORT_URL) to be an http(s) URL for the Api, got ${JSON.stringify(baseUrl)}`);
    }
    this.#http = new HttpClient({ baseUrl, apiKey: options.apiKey ?? env.apiKey, timeoutMs: options.timeoutMs ?? 30_000 });
  }

  /** The server's default entity (`local` on an embedded server), asked once. */
  defaultEntity(): Promise<string> {
    this.#defaultEntity ??= apiGet(this.#http, '/api/v1/info', {}).then((info) => (info.defaultEntity !== '' ? info.defaultEntity : 'local'));
    this.#defaultEntity.catch(() => (this.#defaultEntity = undefined));
    return this.#defaultEntity;
  }

  /** The projects of an entity (default: the server's default entity). */
  async projects(entity?: string): Promise<ProjectView[]> {
    return (await apiGet(this.#http, '/api/v1/projects', {}, { entity: entity ?? (await this.defaultEntity()) })).projects;
  }

  /** The runs of `"entity/project"` or `"project"`, optionally filtered. */
  async runs(path: string, options: RunsOptions = {}): Promise<ApiRun[]> {
    const parts = splitPath(path, 'runs', [1, 2]);
    const [entity, project] = parts.length === 2 ? [parts[0]!, parts[1]!] : [await this.defaultEntity(), parts[0]!];
    // The server answers a page at a time, config and summary only when asked (docs/http-api.md, "Runs"): follow the cursor.
    const out: ApiRun[] = [];
    let cursor: string | undefined;
    do {
      const page: RunPage = await apiGet(
        this.#http,
        '/api/v1/runs/{entity}/{project}',
        { entity, project },
        { filters: options.filters === undefined ? undefined : JSON.stringify(options.filters), fields: 'config,summary', limit: 1000, cursor },
      );
      // Asked with fields=config,summary: a listed run has both; its page URL is not listed.
      for (const v of page.runs) out.push(new ApiRun(this.#http, { ...v, config: v.config ?? {}, summary: v.summary ?? {}, url: '' }));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return out;
  }

  /** One run: `"entity/project/id"` or `"project/id"`. Throws `CohortError` NOT_FOUND when absent. */
  async run(path: string): Promise<ApiRun> {
    const parts = splitPath(path, 'run', [2, 3]);
    const [entity, project, id] = parts.length === 3 ? [parts[0]!, parts[1]!, parts[2]!] : [await this.defaultEntity(), parts[0]!, parts[1]!];
    return new ApiRun(this.#http, await apiGet(this.#http, '/api/v1/runs/{entity}/{project}/{id}', { entity, project, id }));
  }

  /**
   * A training group: `"entity/project/group"` or `"project/group"`. No
   * request is made until a method of the returned {@link ApiGroup} is called.
   */
  group(path: string): ApiGroup {
    const parts = splitPath(path, 'group', [2, 3]);
    const resolved =
      parts.length === 3
        ? Promise.resolve({ entity: parts[0]!, project: parts[1]!, group: parts[2]! })
        : this.defaultEntity().then((entity) => ({ entity, project: parts[0]!, group: parts[1]! }));
    // The entity lookup may fail; the error belongs to the first call on the group, not an unhandled rejection.
    resolved.catch(() => undefined);
    return new ApiGroup(this.#http, resolved);
  }

  /**
   * A sweep, `"entity/project/id"` or `"project/id"`, with its trials' `runs`
   * and `bestRun()` (docs/sweeps.md). Throws `CohortError` NOT_FOUND when absent.
   */
  async sweep(path: string): Promise<ApiSweep> {
    const parts = splitPath(path, 'sweep', [2, 3]);
    const [entity, project, id] = parts.length === 3 ? [parts[0]!, parts[1]!, parts[2]!] : [await this.defaultEntity(), parts[0]!, parts[1]!];
    return fetchSweep(this.#http, entity, project, id);
  }

  /**
   * An artifact version, `"entity/project/name[:alias]"` or
   * `"project/name[:alias]"` (alias default `latest`; a registered model is
   * `"entity/model-registry/name:alias"`), with `files()`, `download()`,
   * `loggedBy()` and `usedBy()`.
   */
  artifact(path: string): Promise<Artifact> {
    return fetchArtifact(this.#http, path, () => this.defaultEntity());
  }
}

function splitPath(path: string, method: string, counts: readonly number[]): string[] {
  if (typeof path !== 'string') throw invalidArgument(`Expected the path of \`api.${method}\` to be a string, got ${typeof path}`);
  const parts = path.split('/');
  if (!counts.includes(parts.length) || parts.some((p) => p === '')) {
    const shape = method === 'runs' ? '"entity/project" or "project"' : method === 'group' ? '"entity/project/group" or "project/group"' : '"entity/project/id" or "project/id"';
    throw invalidArgument(`Expected the path of \`api.${method}\` to be ${shape}, got ${JSON.stringify(path)}`);
  }
  return parts;
}
