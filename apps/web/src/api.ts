/**
 * The dashboard's reads of the coordinator's HTTP API (docs/http-api.md).
 * Bodies keep NaN and ±Infinity as `{"$cohort":"NaN"}`: `parseJson` turns them
 * back into numbers.
 */

/** Parses an API body, reviving `{"$cohort":"NaN"|"Infinity"|"-Infinity"}`. */
export function parseJson(text: string): unknown {
  // A reviver costs every value of a body (series are arrays of thousands): only bodies that hold a tag need it.
  if (!text.includes('"$cohort"')) return JSON.parse(text);
  return JSON.parse(text, (_k, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const tag = o['$cohort'];
      if (typeof tag === 'string' && Object.keys(o).length === 1) {
        if (tag === 'NaN') return NaN;
        if (tag === 'Infinity') return Infinity;
        if (tag === '-Infinity') return -Infinity;
      }
    }
    return v;
  });
}

/** An error answer of the API. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** GETs an API path; throws {@link ApiError} with the server's message. */
export async function get<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  // A server with API keys and no session yet: to the login page, then back here.
  if (res.status === 401) location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
  const text = await res.text();
  const body = text === '' ? {} : parseJson(text);
  if (!res.ok) {
    const err = (body as { error?: { code?: string; message?: string } }).error;
    throw new ApiError(res.status, err?.code ?? 'UNKNOWN', err?.message ?? `HTTP ${res.status}`);
  }
  return body as T;
}

/** Path segment encoding. */
export const enc = encodeURIComponent;

export interface ProjectInfo {
  entity: string;
  project: string;
  runCount: number;
  updatedAt: number;
}

export interface RunView {
  id: string;
  entity: string;
  project: string;
  path: string;
  name: string;
  state: string;
  exitCode: number | null;
  group: string;
  jobType: string;
  rank: number | null;
  worldSize: number | null;
  localRank: number | null;
  node: string;
  summary: Record<string, unknown>;
  config: Record<string, unknown>;
  tags: string[];
  notes: string;
  startTime: number;
  endTime: number | null;
  heartbeatAt: number | null;
  runtime: number;
  lastStep: number | null;
  host: string;
  mode: string;
  resumed: boolean;
  forkedFrom: string;
  /** `defineMetric` definitions, merged per name. */
  metrics: MetricView[];
  url?: string;
}

/** A merged `defineMetric` definition (docs/http-api.md). */
export interface MetricView {
  name: string;
  /** The default x-axis; '' when none. */
  stepMetric: string;
  hidden: boolean;
  summary: string;
  goal: string;
}

export interface SeriesData {
  x: number[];
  min: number[];
  max: number[];
  last: number[];
  points: number;
  downsampled: boolean;
}

export interface SeriesResult {
  xAxis: string;
  buckets: number;
  series: Record<string, SeriesData>;
}

export interface GroupMember {
  runId: string;
  name: string;
  rank: number | null;
  node: string;
  state: string;
  heartbeatAt: number | null;
  endedAt: number | null;
  lastStep: number | null;
  /** Server time of the last new step. */
  lastStepAt: number | null;
  stepRate: number | null;
  straggler: boolean;
  restartAttempt: number;
  resumed: boolean;
}

export interface GroupView {
  entity: string;
  project: string;
  group: string;
  worldSize: number;
  primaryRank: number;
  primaryRunId: string | null;
  state: string;
  stalledAt: number | null;
  members: GroupMember[];
}

export interface Aggregate {
  mean: number;
  min: number;
  max: number;
  count: number;
}

export type GroupHistoryRow = { _step: number } & Record<string, number | Aggregate>;

export interface AlertView {
  title: string;
  text: string;
  level: string;
  timestamp: number;
  suppressed: boolean;
}

export interface StateEvent {
  state: string;
  at: number;
  detail: string;
}

export const runBase = (e: string, p: string, id: string): string => `/api/v1/runs/${enc(e)}/${enc(p)}/${enc(id)}`;
export const groupBase = (e: string, p: string, g: string): string => `/api/v1/groups/${enc(e)}/${enc(p)}/${enc(g)}`;

/** Page links. */
export const projectHref = (e: string, p: string): string => `/${enc(e)}/${enc(p)}`;
export const runHref = (e: string, p: string, id: string): string => `/${enc(e)}/${enc(p)}/runs/${enc(id)}`;
export const groupHref = (e: string, p: string, g: string): string => `/${enc(e)}/${enc(p)}/groups/${enc(g)}`;

export interface RunFile {
  path: string;
  digest: string;
  size: number;
  updatedAt: number;
}

export interface ArtifactBrief {
  entity: string;
  project: string;
  name: string;
  type: string;
  version: string;
  digest: string;
  aliases: string[];
}

export interface ConsoleLine {
  id: number;
  at: number;
  stream: string;
  label: string;
  line: string;
}

export interface ArtifactVersionSummary {
  version: string;
  digest: string;
  aliases: string[];
  size: number;
  fileCount: number;
  createdAt: number;
}

export interface RunKeyView {
  entity: string;
  project: string;
  runId: string;
}

export interface ArtifactVersionView {
  entity: string;
  project: string;
  name: string;
  type: string;
  version: string;
  state: string;
  digest: string;
  aliases: string[];
  tags: string[];
  description: string;
  metadata: unknown;
  size: number;
  createdAt: number;
  files: Array<{ path: string; digest: string; size: number; ref: string }>;
  loggedBy: RunKeyView | null;
  usedBy: RunKeyView[];
}

export const artifactHref = (e: string, p: string, name?: string, version?: string): string =>
  `/${enc(e)}/${enc(p)}/artifacts${name === undefined ? '' : `/${enc(name)}`}${version === undefined ? '' : `/${enc(version)}`}`;
export const artifactBase = (e: string, p: string): string => `/api/v1/artifacts/${enc(e)}/${enc(p)}`;
/** A version's aliases less its own name (`v1`), which the page shows beside them already. */
export const extraAliases = (v: { version: string; aliases: string[] }): string[] => v.aliases.filter((a) => a !== v.version);
