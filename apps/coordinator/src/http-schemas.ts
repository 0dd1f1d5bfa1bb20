import { z } from 'zod';
import { runFiltersSchema } from './http-query.js';

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
});
export const runWithUrlSchema = runViewSchema.extend({ url: z.string() });
export const runsSchema = z.object({ runs: z.array(runViewSchema) });
export const historySchema = z.object({ rows: z.array(z.record(z.string(), z.unknown()).describe('a nested row with `_step`, `_runtime`, `_timestamp`')) });
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
export const alertsSchema = z.object({ alerts: z.array(z.object({ title: z.string(), text: z.string(), level: z.string(), timestamp: seconds, suppressed: z.boolean() })) });
export const stateHistorySchema = z.object({ events: z.array(z.object({ state: z.string(), at: seconds, detail: z.string() })) });

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

const ROUTES: Array<{ path: string; summary: string; params: Param[]; schema: z.ZodType; type?: string }> = [
  { path: '/api/v1/info', summary: "The server's identity", params: [], schema: serverInfoSchema },
  { path: '/api/v1/health', summary: 'Liveness', params: [], schema: z.object({ ok: z.boolean() }) },
  { path: '/api/v1/projects', summary: 'Projects with runs', params: [p('entity', 'default: the default entity')], schema: projectsSchema },
  { path: '/api/v1/runs/{entity}/{project}', summary: 'Runs of a project, newest first', params: [path('entity'), path('project'), p('filters', `URL-encoded JSON: ${JSON.stringify(z.toJSONSchema(runFiltersSchema, { io: 'input' }))}`)], schema: runsSchema },
  { path: '/api/v1/runs/{entity}/{project}/{id}', summary: 'One run and its page URL', params: RUN, schema: runWithUrlSchema },
  { path: '/api/v1/runs/{entity}/{project}/{id}/history', summary: 'History rows as logged', params: [...RUN, p('keys', 'comma-separated leaf paths, at most 1000'), p('samples', 'at most this many rows, evenly spaced', int(1, 100_000)), ...STEPS], schema: historySchema },
  { path: '/api/v1/runs/{entity}/{project}/{id}/history/scan', summary: 'Every row, a page at a time', params: [...RUN, p('fromStep', 'first step of the page', int(0)), p('pageSize', 'rows per page', int(1, 10_000))], schema: historyPageSchema },
  {
    path: '/api/v1/runs/{entity}/{project}/{id}/series',
    summary: 'Numeric metrics downsampled with full fidelity: per bucket of the x-range the min, max and last value',
    params: [...RUN, p('keys', 'comma-separated leaf paths (default: every numeric key not starting with _)'), p('buckets', 'buckets over the x-range (default 1000)', int(1, 100_000)), p('xAxis', '_step (default), _runtime, _timestamp or a step metric'), ...STEPS],
    schema: seriesSchema,
  },
  { path: '/api/v1/runs/{entity}/{project}/{id}/alerts', summary: "A run's alerts, oldest first", params: RUN, schema: alertsSchema },
  { path: '/api/v1/runs/{entity}/{project}/{id}/state-history', summary: "A run's state changes, oldest first", params: RUN, schema: stateHistorySchema },
  {
    path: '/api/v1/runs/{entity}/{project}/{id}/stream',
    summary: 'Server-sent events: `run` (the run, as GET run) when it changes, `history` ({ fromStep, toStep }) when rows were added',
    params: RUN,
    schema: z.string(),
    type: 'text/event-stream',
  },
  { path: '/api/v1/groups/{entity}/{project}', summary: 'Training groups of a project', params: [path('entity'), path('project')], schema: groupsSchema },
  { path: '/api/v1/groups/{entity}/{project}/{group}', summary: 'A group: members, states, which ranks ended and when', params: GROUP, schema: groupSchema },
  { path: '/api/v1/groups/{entity}/{project}/{group}/history', summary: "A group's aggregates by step (mean, min, max, count over ranks)", params: [...GROUP, p('keys', 'comma-separated leaf paths'), ...STEPS], schema: groupHistorySchema },
];

/** The OpenAPI 3.1 document of the HTTP API (docs/openapi.json). */
export function openApiDocument(version: string): Record<string, unknown> {
  const error = { description: 'an error naming what was wrong (docs/errors.md)', content: { 'application/json': { schema: z.toJSONSchema(errorBodySchema) } } };
  const paths: Record<string, unknown> = {};
  for (const r of ROUTES) {
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
