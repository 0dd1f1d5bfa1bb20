import { z } from 'zod';
import { CohortError } from '@cohort/protocol';
import { DEFAULT_RUNS_PAGE, MAX_RUNS_PAGE, MAX_SERIES_RUNS, RUN_FIELDS } from '@cohort/engine';
import { runFiltersSchema } from './http-query.js';
import { RUN_ROUTES } from './run-routes.js';

/**
 * zod schemas of the HTTP API's responses, the single source of
 * `docs/openapi.json` (`node scripts/openapi.mjs` writes it; a test keeps it
 * current and checks real responses against these schemas).
 */

const num = z.number().describe('a number; NaN and ±Infinity are sent as {"$cohort":"NaN"} etc.');
const seconds = z.number().describe('seconds since the Unix epoch');

export const errorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export const serverInfoSchema = z.object({ version: z.string(), grpcAddress: z.string(), httpUrl: z.string(), defaultEntity: z.string() });
export const projectsSchema = z.object({ projects: z.array(z.object({ entity: z.string(), project: z.string(), runCount: z.number().int(), updatedAt: seconds })) });

export const runViewSchema = z.object({
  id: z.string(),
  entity: z.string(),
  project: z.string(),
  path: z.string(),
  name: z.string(),
  state: z.enum(['running', 'finished', 'failed', 'crashed', 'killed', 'preempting', 'preempted']),
  exitCode: z.number().int().nullable(),
  group: z.string(),
  jobType: z.string(),
  rank: z.number().int().nullable(),
  worldSize: z.number().int().nullable(),
  localRank: z.number().int().nullable(),
  node: z.string(),
  summary: z.record(z.string(), z.unknown()).describe('nested; media leaves are descriptors with a string `_type`'),
  config: z.record(z.string(), z.unknown()),
  tags: z.array(z.string()),
  notes: z.string().describe('Markdown'),
  startTime: seconds,
  endTime: seconds.nullable(),
  heartbeatAt: seconds.nullable(),
  runtime: z.number(),
  lastStep: z.number().nullable(),
  appliedSeq: z.number().int(),
  sweepId: z.string(),
  host: z.string(),
  mode: z.string(),
  resumed: z.boolean(),
  forkedFrom: z.string(),
  metrics: z
    .array(z.object({ name: z.string().describe('a leaf path, or a glob ending in `*`'), stepMetric: z.string().describe("the metric's default x-axis; '' when none"), hidden: z.boolean(), summary: z.string(), goal: z.string() }))
    .describe('`defineMetric` definitions merged per name: charts skip `hidden` metrics and draw against `stepMetric`'),
});
export const runWithUrlSchema = runViewSchema.extend({ url: z.string() });
export const runsSchema = z.object({
  runs: z.array(runViewSchema.partial({ config: true, summary: true }).describe('config and summary only when `fields` names them')),
  nextCursor: z.string().optional().describe('present while more runs may follow: pass it as `cursor`'),
});
export const historySchema = z.object({ rows: z.array(z.record(z.string(), z.unknown()).describe('a nested row with `_step`, `_runtime`, `_timestamp`; media leaves are descriptors naming a run file (`path`)')) });
export const historyPageSchema = historySchema.extend({ nextStep: z.number().nullable() });

export const seriesDataSchema = z.object({
  x: z.array(num).describe('per bucket: the x of its last point'),
  min: z.array(num),
  max: z.array(num),
  last: z.array(num),
  points: z.number().int().describe('finite points in the range before bucketing'),
  downsampled: z.boolean(),
});
export const seriesSchema = z.object({ xAxis: z.string(), buckets: z.number().int(), series: z.record(z.string(), seriesDataSchema) });
export const runsSeriesSchema = z.object({
  key: z.string(),
  xAxis: z.string(),
  buckets: z.number().int(),
  runs: z
    .record(z.string(), seriesDataSchema.partial({ min: true, max: true }))
    .describe('by run id, in the order asked; a run that never logged the key is left out; `min` and `max` absent with band=0'),
  missing: z.array(z.string()).describe('run ids asked for that do not exist in the project'),
});
export const alertsSchema = z.object({ alerts: z.array(z.object({ title: z.string(), text: z.string(), level: z.string(), timestamp: seconds, suppressed: z.boolean() })) });
export const stateHistorySchema = z.object({ events: z.array(z.object({ state: z.string(), at: seconds, detail: z.string() })) });

export const systemSchema = z.object({ samples: z.array(z.object({ at: seconds, label: z.string(), metrics: z.record(z.string(), num) })) });
export const sessionSchema = z.union([z.object({ auth: z.literal('none') }), z.object({ auth: z.literal('keys'), user: z.string(), entities: z.array(z.string()) })]);
const runFileSchema = z.object({ path: z.string(), digest: z.string(), size: z.number().int(), updatedAt: seconds });
export const runFilesSchema = z.object({ files: z.array(runFileSchema) });
export const consoleSchema = z.object({ lines: z.array(z.object({ id: z.number().int(), at: seconds, stream: z.enum(['stdout', 'stderr']), label: z.string(), line: z.string() })) });
const versionBriefSchema = z.object({ entity: z.string(), project: z.string(), name: z.string(), type: z.string(), version: z.string(), digest: z.string(), aliases: z.array(z.string()) });
export const runArtifactsSchema = z.object({ logged: z.array(versionBriefSchema), used: z.array(versionBriefSchema) });
export const artifactsSchema = z.object({ artifacts: z.array(z.object({ name: z.string(), type: z.string(), createdAt: seconds })) });
export const artifactVersionsSchema = z.object({
  versions: z.array(z.object({ version: z.string(), digest: z.string(), aliases: z.array(z.string()), size: z.number().int(), fileCount: z.number().int(), createdAt: seconds })),
});
const runKeySchema = z.object({ entity: z.string(), project: z.string(), runId: z.string() });
export const artifactVersionSchema = z.object({
  entity: z.string(),
  project: z.string(),
  name: z.string(),
  type: z.string(),
  version: z.string(),
  state: z.string(),
  digest: z.string(),
  aliases: z.array(z.string()),
  tags: z.array(z.string()),
  description: z.string(),
  metadata: z.unknown(),
  size: z.number().int(),
  createdAt: seconds,
  files: z.array(z.object({ path: z.string(), digest: z.string(), size: z.number().int(), ref: z.string() })),
  loggedBy: runKeySchema.nullable(),
  usedBy: z.array(runKeySchema),
});
export const alertDeliveriesSchema = z.object({
  deliveries: z.array(z.object({ alertId: z.number().int(), sink: z.string(), state: z.string(), attempts: z.number().int(), lastError: z.string(), updatedAt: seconds })),
});
const bytes = z.string().describe('the bytes');

const memberSchema = z.object({
  runId: z.string(),
  name: z.string(),
  rank: z.number().int().nullable(),
  localRank: z.number().int().nullable(),
  node: z.string(),
  state: z.string(),
  heartbeatAt: seconds.nullable(),
  endedAt: seconds.nullable().describe('when a member that is no longer live ended'),
  lastStep: z.number().nullable(),
  lastStepAt: seconds.nullable(),
  stepRate: z.number().nullable(),
  secondsSinceLastStep: z.number().nullable(),
  straggler: z.boolean(),
  restartAttempt: z.number().int(),
  resumed: z.boolean(),
});
export const groupSchema = z.object({
  entity: z.string(),
  project: z.string(),
  group: z.string(),
  worldSize: z.number().int(),
  primaryRank: z.number().int(),
  primaryRunId: z.string().nullable(),
  state: z.string(),
  stalledAt: seconds.nullable(),
  members: z.array(memberSchema),
});
export const groupsSchema = z.object({ groups: z.array(groupSchema) });
export const groupHistorySchema = z.object({
  rows: z.array(z.record(z.string(), z.union([z.number(), z.object({ mean: num, min: num, max: num, count: z.number().int() })])).describe('`_step` and, per key, { mean, min, max, count } over the ranks')),
});

type Param = { name: string; in: 'path' | 'query'; description: string; schema: Record<string, unknown>; required?: boolean };
const p = (name: string, description: string, schema: Record<string, unknown> = { type: 'string' }): Param => ({ name, in: 'query', description, schema });
const path = (name: string): Param => ({ name, in: 'path', required: true, description: `the ${name}`, schema: { type: 'string' } });
const int = (min: number, max?: number): Record<string, unknown> => ({ type: 'integer', minimum: min, ...(max !== undefined && { maximum: max }) });
const RUN = [path('entity'), path('project'), path('id')];
const GROUP = [path('entity'), path('project'), path('group')];
const STEPS = [p('minStep', 'inclusive', int(0)), p('maxStep', 'inclusive', int(0))];

/** One GET route: its path template (`{name}`: one URL-encoded segment; `{path}`: the rest, one or more segments). */
export interface ApiRoute {
  path: string;
  summary: string;
  params: Param[];
  schema: z.ZodType;
  type?: string;
}

const RUN_ROUTE_DOCS: Record<keyof typeof RUN_ROUTES, Omit<ApiRoute, 'path'>> = {
  history: {
    summary: 'History rows as logged; `samples` downsamples with full fidelity (the rows of each key\'s min, max and last value per bucket of `xAxis`)',
    params: [...RUN, p('keys', 'comma-separated leaf paths, at most 1000'), p('samples', 'a key with more points keeps the rows of its min, max and last in each of samples/3 buckets', int(1, 100_000)), p('xAxis', '_step (default), _runtime, _timestamp or a step metric: what the buckets cut and the rows\' order'), ...STEPS],
    schema: historySchema,
  },
  'history/scan': { summary: 'Every row, a page at a time', params: [...RUN, p('fromStep', 'first step of the page', int(0)), p('pageSize', 'rows per page', int(1, 10_000))], schema: historyPageSchema },
  series: {
    summary: 'Numeric metrics downsampled with full fidelity: per bucket of the x-range the min, max and last value',
    params: [...RUN, p('keys', 'comma-separated leaf paths (default: every numeric key not starting with _)'), p('buckets', 'buckets over the x-range (default 1000)', int(1, 100_000)), p('xAxis', '_step (default), _runtime, _timestamp or a step metric'), ...STEPS],
    schema: seriesSchema,
  },
  alerts: { summary: "A run's alerts, oldest first", params: RUN, schema: alertsSchema },
  'state-history': { summary: "A run's state changes, oldest first", params: RUN, schema: stateHistorySchema },
  events: { summary: "A run's state changes, oldest first (resumes, restart attempts and rewinds: the segments of a run)", params: RUN, schema: stateHistorySchema },
  system: { summary: "A run's system metric samples, oldest first", params: [...RUN, p('limit', 'at most this many (default 10000)', int(1, 100_000))], schema: systemSchema },
};

/**
 * Every GET route of the HTTP API: the source of docs/openapi.json, and the
 * gate of the handler (`matchApiRoute`): an `/api/` path that no entry
 * matches is a 404 before any handler sees it, so the API is this table.
 */
export const API_ROUTES: readonly ApiRoute[] = [
  { path: '/api/v1/info', summary: "The server's identity", params: [], schema: serverInfoSchema },
  { path: '/api/v1/health', summary: 'Liveness', params: [], schema: z.object({ ok: z.boolean() }) },
  { path: '/api/v1/session', summary: 'Who the caller is: no auth, or the key\'s user and entities', params: [], schema: sessionSchema },
  { path: '/api/v1/projects', summary: 'Projects with runs', params: [p('entity', 'default: the default entity')], schema: projectsSchema },
  {
    path: '/api/v1/runs/{entity}/{project}',
    summary: 'Runs of a project, newest first, a page at a time',
    params: [
      path('entity'),
      path('project'),
      p('filters', `URL-encoded JSON: ${JSON.stringify(z.toJSONSchema(runFiltersSchema, { io: 'input' }))}`),
      p('limit', `runs per page (default ${DEFAULT_RUNS_PAGE}); a page may hold fewer and still have a nextCursor`, int(1, MAX_RUNS_PAGE)),
      p('cursor', 'the nextCursor of the previous page'),
      p('fields', `comma-separated big fields to include: ${RUN_FIELDS.join(', ')} (default none)`),
    ],
    schema: runsSchema,
  },
  { path: '/api/v1/runs/{entity}/{project}/{id}', summary: 'One run and its page URL', params: RUN, schema: runWithUrlSchema },
  ...Object.entries(RUN_ROUTE_DOCS).map(([sub, doc]) => ({ path: `/api/v1/runs/{entity}/{project}/{id}/${sub}`, ...doc })),
  {
    path: '/api/v1/runs/{entity}/{project}/{id}/stream',
    summary: 'Server-sent events: `run` (the run, as GET run) when it changes, `history` ({ fromStep, toStep }) when rows were added',
    params: RUN,
    schema: z.string(),
    type: 'text/event-stream',
  },
  { path: '/api/v1/runs/{entity}/{project}/{id}/files', summary: "A run's files (saved files and logged media, `media/...`)", params: RUN, schema: runFilesSchema },
  {
    path: '/api/v1/runs/{entity}/{project}/{id}/files/{path}',
    summary: "One file's bytes, with the Content-Type of its extension (images, audio, video, JSON, text; HTML under `Content-Security-Policy: sandbox`; else an octet-stream attachment) and `X-Content-Type-Options: nosniff`; `output.log` is the console capture",
    params: [...RUN, path('path')],
    schema: bytes,
    type: '*/*',
  },
  { path: '/api/v1/runs/{entity}/{project}/{id}/console', summary: "A run's console lines", params: [...RUN, p('after', 'after this line id (default 0)', int(0)), p('limit', 'at most this many (≤ 10000)', int(0, 10_000))], schema: consoleSchema },
  { path: '/api/v1/runs/{entity}/{project}/{id}/artifacts', summary: 'Artifact versions the run logged and used', params: RUN, schema: runArtifactsSchema },
  {
    path: '/api/v1/series/{entity}/{project}',
    summary: "One metric of many runs in one request (the project workspace's chart of a key), each bucketed as a run's series",
    params: [path('entity'), path('project'), p('runs', `comma-separated run ids, 1 to ${MAX_SERIES_RUNS}`), p('key', 'the leaf path of one metric'), p('buckets', 'buckets over the x-range (default 1000)', int(1, 100_000)), p('xAxis', '_step (default), _runtime, _timestamp or a step metric'), p('band', '0: each run\'s x and last only, no min–max band (default 1)', { type: 'string', enum: ['0', '1'] }), ...STEPS],
    schema: runsSeriesSchema,
  },
  { path: '/api/v1/groups/{entity}/{project}', summary: 'Training groups of a project', params: [path('entity'), path('project')], schema: groupsSchema },
  { path: '/api/v1/groups/{entity}/{project}/{group}', summary: 'A group: members, states, which ranks ended and when', params: GROUP, schema: groupSchema },
  { path: '/api/v1/groups/{entity}/{project}/{group}/history', summary: "A group's aggregates by step (mean, min, max, count over ranks)", params: [...GROUP, p('keys', 'comma-separated leaf paths'), ...STEPS], schema: groupHistorySchema },
  { path: '/api/v1/artifacts/{entity}/{project}', summary: 'Artifacts of a project (registered models: project `model-registry`)', params: [path('entity'), path('project')], schema: artifactsSchema },
  { path: '/api/v1/artifacts/{entity}/{project}/{name}', summary: "An artifact's versions", params: [path('entity'), path('project'), path('name')], schema: artifactVersionsSchema },
  { path: '/api/v1/artifacts/{entity}/{project}/{name}/{alias}', summary: 'One committed version by alias or `vN`: files and lineage', params: [path('entity'), path('project'), path('name'), path('alias')], schema: artifactVersionSchema },
  { path: '/api/v1/blobs/{digest}', summary: "A blob's bytes by sha256 (octet-stream attachment, immutable)", params: [path('digest')], schema: bytes, type: 'application/octet-stream' },
  { path: '/api/v1/alerts/deliveries', summary: 'Alert delivery records (`dead`: the dead letters), oldest first', params: [p('state', 'claimed, delivered or dead')], schema: alertDeliveriesSchema },
];

const compiled = API_ROUTES.map((r) => ({ route: r, parts: r.path.split('/').slice(1) }));

/** The {@link API_ROUTES} entry a pathname (`/api/v1/...`, still URL-encoded) matches, or undefined. */
export function matchApiRoute(pathname: string): ApiRoute | undefined {
  const seg = pathname.split('/').slice(1);
  if (seg.length > 0 && seg[seg.length - 1] === '') seg.pop();
  for (const { route, parts } of compiled) {
    const rest = parts[parts.length - 1] === '{path}';
    if (rest ? seg.length < parts.length : seg.length !== parts.length) continue;
    if (parts.every((part, i) => (part.startsWith('{') ? seg[i] !== '' : part === seg[i]))) return route;
  }
  return undefined;
}

/** Throws NOT_FOUND for an `/api/` path outside {@link API_ROUTES}. */
export function checkApiRoute(pathname: string): void {
  if (!matchApiRoute(pathname)) throw new CohortError('NOT_FOUND', `no route for ${JSON.stringify(pathname)}; see docs/http-api.md`);
}

/** The OpenAPI 3.1 document of the HTTP API (docs/openapi.json). */
export function openApiDocument(version: string): Record<string, unknown> {
  const error = { description: 'an error naming what was wrong (docs/errors.md)', content: { 'application/json': { schema: z.toJSONSchema(errorBodySchema) } } };
  const paths: Record<string, unknown> = {};
  for (const r of API_ROUTES) {
    paths[r.path] = {
      get: {
        summary: r.summary,
        parameters: r.params,
        responses: {
          '200': { description: 'OK', content: { [r.type ?? 'application/json']: { schema: z.toJSONSchema(r.schema) } } },
          '400': error,
          '404': error,
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Cohort HTTP API', version, description: 'Read-only JSON API of the Cohort coordinator (docs/http-api.md). Generated from the zod schemas in apps/coordinator/src/http-schemas.ts.' },
    paths,
  };
}
