import { hostname } from 'node:os';
import {
  createdSweepSchema,
  endedTrialSchema,
  invalidArgument,
  nextTrialSchema,
  parseHttpBody,
  sweepControlSchema,
  trialHeartbeatSchema,
  type NextTrialRequest,
  type NextTrialView,
  type SweepView,
} from '@cohort/protocol';
import { apiGet } from '../api/api-get.js';
import { DEFAULT_URL, readEnv } from '../env.js';
import { HttpClient } from '../api/http-client.js';
import { isHttpUrl } from '../transport/endpoint.js';

/** Where a sweep lives: the server and, for paths without them, the project and entity. */
export interface SweepServerOptions {
  /** The server's HTTP URL. @defaultValue `COHORT_URL`, else `http://127.0.0.1:7712` */
  readonly url?: string;
  /** @defaultValue `COHORT_API_KEY` */
  readonly apiKey?: string;
  /** @defaultValue `COHORT_PROJECT` */
  readonly project?: string;
  /** @defaultValue `COHORT_ENTITY`, else the server's default entity */
  readonly entity?: string;
}

/** A sweep's full name. */
export interface SweepRef {
  readonly entity: string;
  readonly project: string;
  readonly id: string;
}

/** This process as an agent: host and pid. */
export function agentName(): string {
  return `${hostname()}:${process.pid}`;
}

/**
 * The sweep routes of the HTTP API (docs/sweeps.md) for the SDK's `sweep`
 * and `agent` and the CLI's `cohort sweep` and `cohort agent`.
 */
export class SweepClient {
  readonly http: HttpClient;
  readonly #o: SweepServerOptions;
  #entity: Promise<string> | undefined;

  constructor(options: SweepServerOptions = {}) {
    const env = readEnv();
    const url = options.url ?? env.url ?? DEFAULT_URL;
    if (!isHttpUrl(url)) throw invalidArgument(`Expected \`url\` (or COHORT_URL) to be an http(s) URL, got ${JSON.stringify(url)}`);
    this.http = new HttpClient({ baseUrl: url, apiKey: options.apiKey ?? env.apiKey, timeoutMs: 30_000 });
    this.#o = { ...options, ...(options.project === undefined && env.project !== undefined && { project: env.project }), ...(options.entity === undefined && env.entity !== undefined && { entity: env.entity }) };
  }

  /** The entity of paths without one: the option, else the server's default. */
  entity(): Promise<string> {
    if (this.#o.entity !== undefined) return Promise.resolve(this.#o.entity);
    this.#entity ??= this.http.get('/api/v1/info').then((info) => String((info as { defaultEntity?: unknown }).defaultEntity ?? 'local'));
    return this.#entity;
  }

  /** The project of paths without one; INVALID_ARGUMENT when none is known. */
  project(): string {
    if (this.#o.project === undefined || this.#o.project === '') throw invalidArgument('no project: pass `project` (--project) or set COHORT_PROJECT, or name the sweep as entity/project/id');
    return this.#o.project;
  }

  /** A sweep named `entity/project/id`, `project/id` or `id`. */
  async resolve(path: string): Promise<SweepRef> {
    const parts = path.split('/');
    if (parts.length > 3 || parts.some((p) => p === '')) throw invalidArgument(`Expected a sweep as entity/project/id, project/id or id, got ${JSON.stringify(path)}`);
    if (parts.length === 3) return { entity: parts[0]!, project: parts[1]!, id: parts[2]! };
    if (parts.length === 2) return { entity: await this.entity(), project: parts[0]!, id: parts[1]! };
    return { entity: await this.entity(), project: this.project(), id: parts[0]! };
  }

  #path(s: SweepRef, ...rest: string[]): string {
    return ['/api/v1/sweeps', s.entity, s.project, s.id, ...rest].map((p, i) => (i === 0 ? p : encodeURIComponent(p))).join('/');
  }

  /** Creates a sweep in `project` (config: YAML or JSON text, or an object). */
  async create(config: unknown): Promise<SweepRef & { url: string }> {
    const entity = await this.entity();
    const project = this.project();
    const path = `/api/v1/sweeps/${encodeURIComponent(entity)}/${encodeURIComponent(project)}`;
    const body = parseHttpBody(createdSweepSchema, await this.http.post(path, config), `POST ${path}`);
    return { entity, project, id: body.id, url: body.url };
  }

  /** The sweep as the server shows it: state, config, trials. */
  view(s: SweepRef): Promise<SweepView> {
    return apiGet(this.http, '/api/v1/sweeps/{entity}/{project}/{sweep}', { entity: s.entity, project: s.project, sweep: s.id });
  }

  /** pause, resume, stop or cancel. */
  async control(s: SweepRef, action: 'pause' | 'resume' | 'stop' | 'cancel'): Promise<string> {
    const path = this.#path(s, action);
    return parseHttpBody(sweepControlSchema, await this.http.post(path, {}), `POST ${path}`).state;
  }

  /** The next trial for this agent. */
  async next(s: SweepRef, request: NextTrialRequest): Promise<NextTrialView> {
    const path = this.#path(s, 'next');
    return parseHttpBody(nextTrialSchema, await this.http.post(path, request), `POST ${path}`);
  }

  /** A trial's heartbeat: whether to stop it. */
  async heartbeat(s: SweepRef, trialId: string): Promise<boolean> {
    const path = this.#path(s, 'trials', trialId, 'heartbeat');
    return parseHttpBody(trialHeartbeatSchema, await this.http.post(path, {}), `POST ${path}`).stop;
  }

  /** A trial's end; answers its state (`finished`, `failed`, `stopped`, ...). */
  async end(s: SweepRef, trialId: string, exitCode: number): Promise<string> {
    const path = this.#path(s, 'trials', trialId, 'end');
    return parseHttpBody(endedTrialSchema, await this.http.post(path, { exitCode }), `POST ${path}`).state;
  }
}
