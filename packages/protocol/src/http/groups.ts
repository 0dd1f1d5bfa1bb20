import { z } from 'zod';
import { runStateSchema } from './runs.js';
import { int, num, seconds } from './values.js';

/** A group's state, derived from its members' states. */
export const groupStateSchema = z.enum(['pending', 'running', 'degraded', 'stalled', 'finished', 'failed', 'crashed', 'preempted', 'killed', 'stopped']);
export type GroupState = z.infer<typeof groupStateSchema>;

/** One member (rank) of a group, with its progress. */
export const groupMemberSchema = z.object({
  runId: z.string(),
  name: z.string(),
  rank: int().nullable(),
  localRank: int().nullable(),
  node: z.string(),
  state: runStateSchema,
  /** The last heartbeat (or record). */
  heartbeatAt: seconds.nullable(),
  /** When a crashed, preempted, failed or finished member ended. */
  endedAt: seconds.nullable().describe('when a member that is no longer live ended'),
  lastStep: z.number().nullable(),
  /** Server time of the last new step. */
  lastStepAt: seconds.nullable(),
  /** Steps per second over the rate window (`null` before two samples). */
  stepRate: z.number().nullable(),
  /** Seconds since the last new step (`null` before any). */
  secondsSinceLastStep: z.number().nullable(),
  straggler: z.boolean(),
  restartAttempt: int(),
  resumed: z.boolean(),
});
export type GroupMemberView = z.infer<typeof groupMemberSchema>;

/** `GET /api/v1/groups/:entity/:project/:group`: the registry entry, its members and its derived state. */
export const groupSchema = z.object({
  entity: z.string(),
  project: z.string(),
  group: z.string(),
  /** The world size expected (the largest a member announced), else the member count. */
  worldSize: int(),
  primaryRank: int(),
  /** The primary's run id, when it has joined. */
  primaryRunId: z.string().nullable(),
  state: groupStateSchema,
  stalledAt: seconds.nullable(),
  /** Members by rank (unranked ones last). */
  members: z.array(groupMemberSchema),
});
export type GroupView = z.infer<typeof groupSchema>;

/** `GET /api/v1/groups/:entity/:project`. */
export const groupsSchema = z.object({ groups: z.array(groupSchema) });

/** The aggregate of one metric at one step over the ranks that logged it. */
export const aggregateSchema = z.object({ mean: num, min: num, max: num, count: int() });
export type AggregateValue = z.infer<typeof aggregateSchema>;

/** One aggregate row of a group's history: `_step` and, per key, `{ mean, min, max, count }` over the ranks. */
export const groupHistoryRowSchema = z
  .object({ _step: z.number() })
  .catchall(z.union([z.number(), aggregateSchema]))
  .describe('`_step` and, per key, { mean, min, max, count } over the ranks');
export type GroupHistoryRow = z.infer<typeof groupHistoryRowSchema>;

/** `GET /api/v1/groups/:entity/:project/:group/history`. */
export const groupHistorySchema = z.object({ rows: z.array(groupHistoryRowSchema) });
