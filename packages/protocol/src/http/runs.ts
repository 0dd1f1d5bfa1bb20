import { z } from 'zod';
import { int, seconds } from './values.js';

/** The states a run moves through (docs/run-semantics.md §5). */
export const runStateSchema = z.enum(['running', 'finished', 'failed', 'crashed', 'killed', 'preempting', 'preempted', 'stopped']);

/** A merged `defineMetric` definition, as charts honour it. */
export const metricViewSchema = z.object({
  /** A leaf path, or a glob ending in `*`. */
  name: z.string().describe('a leaf path, or a glob ending in `*`'),
  /** The metric's default x-axis; '' when none. */
  stepMetric: z.string().describe("the metric's default x-axis; '' when none"),
  hidden: z.boolean(),
  summary: z.string(),
  goal: z.string(),
});
export type MetricView = z.infer<typeof metricViewSchema>;

/** A run: what `GET /api/v1/runs/:entity/:project/:id` answers (with `url`), the engine's queries return and the SDK's `Api` shows. */
export const runViewSchema = z.object({
  id: z.string(),
  entity: z.string(),
  project: z.string(),
  /** `entity/project/id`. */
  path: z.string(),
  name: z.string(),
  state: runStateSchema,
  exitCode: int().nullable(),
  group: z.string(),
  jobType: z.string(),
  rank: int().nullable(),
  worldSize: int().nullable(),
  localRank: int().nullable(),
  node: z.string(),
  /** The visible summary, nested. */
  summary: z.record(z.string(), z.unknown()).describe('nested; media leaves are descriptors with a string `_type`'),
  config: z.record(z.string(), z.unknown()),
  tags: z.array(z.string()),
  notes: z.string().describe('Markdown'),
  startTime: seconds,
  endTime: seconds.nullable(),
  heartbeatAt: seconds.nullable(),
  /** Seconds run, over all resumes. */
  runtime: z.number(),
  lastStep: z.number().nullable(),
  appliedSeq: int(),
  /** '' outside a sweep. */
  sweepId: z.string(),
  host: z.string(),
  mode: z.string(),
  resumed: z.boolean(),
  /** `"<run>?_step=<n>"` for a forked run, else ''. */
  forkedFrom: z.string(),
  /** `defineMetric` definitions, merged per name in first-defined order. */
  metrics: z.array(metricViewSchema).describe('`defineMetric` definitions merged per name: charts skip `hidden` metrics and draw against `stepMetric`'),
});
export type RunView = z.infer<typeof runViewSchema>;

/** `GET /api/v1/runs/:entity/:project/:id`: the run and its page. */
export const runWithUrlSchema = runViewSchema.extend({ url: z.string() });
export type RunWithUrl = z.infer<typeof runWithUrlSchema>;

/** A run of a listing: config and summary only when `fields` names them. */
export const runListItemSchema = runViewSchema.partial({ config: true, summary: true }).describe('config and summary only when `fields` names them');
export type RunListItem = z.infer<typeof runListItemSchema>;

/** `GET /api/v1/runs/:entity/:project`: one page of runs, newest first. */
export const runPageSchema = z.object({
  runs: z.array(runListItemSchema),
  /** Present while more runs may follow. A page may hold fewer runs than its limit. */
  nextCursor: z.string().optional().describe('present while more runs may follow: pass it as `cursor`'),
});
export type RunPage = z.infer<typeof runPageSchema>;
