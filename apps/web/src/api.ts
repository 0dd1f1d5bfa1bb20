/**
 * The dashboard's reads of the coordinator's HTTP API (docs/http-api.md).
 * Bodies keep NaN and ±Infinity as `{"$cohort":"NaN"}`: `parseJson` turns them
 * back into numbers. The bodies' types are the API's own (@cohort/protocol,
 * packages/protocol/src/http/), imported as types only: the bundle holds no
 * zod (test/layers.test.ts refuses a value import).
 */
import type {
  AggregateValue,
  ArtifactVersionBody,
  GroupMemberView,
  ProjectView,
  RunView as ApiRunView,
} from '@cohort/protocol';

export type {
  AlertView,
  ArtifactBrief,
  ArtifactVersionSummary,
  ConsoleLine,
  GroupHistoryRow,
  GroupView,
  MetricView,
  RunFile,
  RunKeyView,
  SeriesData,
  SeriesResult,
  StateEvent,
} from '@cohort/protocol';

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

/** A project of `GET /api/v1/projects`. */
export type ProjectInfo = ProjectView;
/** A run: `url` with `GET /api/v1/runs/:e/:p/:id`, absent in a listing. */
export type RunView = ApiRunView & { url?: string };
/** A member (rank) of a group. */
export type GroupMember = GroupMemberView;
/** A metric's aggregate over a group's ranks at one step. */
export type Aggregate = AggregateValue;
/** One artifact version with its files and lineage. */
export type ArtifactVersionView = ArtifactVersionBody;

export const runBase = (e: string, p: string, id: string): string => `/api/v1/runs/${enc(e)}/${enc(p)}/${enc(id)}`;
export const groupBase = (e: string, p: string, g: string): string => `/api/v1/groups/${enc(e)}/${enc(p)}/${enc(g)}`;

/** Page links. */
export const projectHref = (e: string, p: string): string => `/${enc(e)}/${enc(p)}`;
export const runHref = (e: string, p: string, id: string): string => `/${enc(e)}/${enc(p)}/runs/${enc(id)}`;
export const groupHref = (e: string, p: string, g: string): string => `/${enc(e)}/${enc(p)}/groups/${enc(g)}`;

export const artifactHref = (e: string, p: string, name?: string, version?: string): string =>
  `/${enc(e)}/${enc(p)}/artifacts${name === undefined ? '' : `/${enc(name)}`}${version === undefined ? '' : `/${enc(version)}`}`;
export const artifactBase = (e: string, p: string): string => `/api/v1/artifacts/${enc(e)}/${enc(p)}`;
/** A version's aliases less its own name (`v1`), which the page shows beside them already. */
export const extraAliases = (v: { version: string; aliases: string[] }): string[] => v.aliases.filter((a) => a !== v.version);
