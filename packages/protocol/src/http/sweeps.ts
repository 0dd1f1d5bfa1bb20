import { z } from 'zod';
import { num, seconds } from './values.js';

/**
 * The sweep routes (docs/sweeps.md): `POST /api/v1/sweeps/:entity/:project`
 * creates one (the body is the config), agents take trials with `.../:id/next`,
 * heartbeat and end them; `GET` reads a sweep with its trials.
 */

/** What a sweep is doing: only a `running` sweep hands out trials. */
export const sweepStateSchema = z.enum(['running', 'paused', 'stopped', 'canceled', 'finished']);
export type SweepState = z.infer<typeof sweepStateSchema>;

/** What a trial is doing. */
export const trialStateSchema = z.enum(['running', 'finished', 'failed', 'crashed', 'stopped', 'killed']);
export type TrialStateView = z.infer<typeof trialStateSchema>;

/** The agent's name: who holds the trial (a host and process, or anything the caller picks). */
const agentName = z.string().min(1).max(256);

/** `POST .../:id/next`: who asks, and how often it will heartbeat (a trial silent for 3 intervals counts as crashed). */
export const nextTrialRequestSchema = z.strictObject({
  agent: agentName,
  heartbeatSeconds: z.number().min(0.1).max(600).default(10),
  /** `${interpreter}` of the command (default `python`). */
  interpreter: z.string().min(1).max(1024).optional(),
  /** `${env}` of the command (default `/usr/bin/env`). */
  env: z.string().min(1).max(1024).optional(),
});
export type NextTrialRequest = z.input<typeof nextTrialRequestSchema>;

/** `POST .../:id/trials/:trialId/end`: how the trial's command ended. */
export const endTrialRequestSchema = z.strictObject({
  exitCode: z.number().int().min(-1024).max(1024),
});

/** `POST /api/v1/sweeps/:entity/:project`: the new sweep. */
export const createdSweepSchema = z.object({ id: z.string(), url: z.string() });

/** `POST .../:id/next`: a trial for the agent, or the sweep is done (`done`), or none now (`wait`: paused, or every suggestion is taken while trials run). */
export const nextTrialSchema = z.union([
  z.object({
    trialId: z.string(),
    /** The run group every run of the trial joins (`COHORT_RUN_GROUP`). */
    runGroup: z.string(),
    params: z.record(z.string(), z.unknown()),
    /** The command to run, macros expanded (W&B's `command`). */
    command: z.array(z.string()),
  }),
  z.object({ done: z.literal(true), state: sweepStateSchema }),
  z.object({ wait: z.literal(true), state: sweepStateSchema, retryAfterMs: z.number() }),
]);
export type NextTrialView = z.infer<typeof nextTrialSchema>;

/** `POST .../trials/:trialId/heartbeat`: whether the agent must stop the trial (early termination, a canceled sweep). */
export const trialHeartbeatSchema = z.object({ stop: z.boolean() });

/** `POST .../trials/:trialId/end`: the trial as it ended. */
export const endedTrialSchema = z.object({ trialId: z.string(), state: trialStateSchema, metric: num.nullable() });

/** `POST .../:id/{pause,resume,stop,cancel}`: the sweep's state after. */
export const sweepControlSchema = z.object({ id: z.string(), state: sweepStateSchema });

/** One trial of a sweep as the dashboard shows it. */
export const sweepTrialSchema = z.object({
  trialId: z.string(),
  /** The trial's run: rank 0 of its group for a distributed trial; '' before any run opened. */
  runId: z.string(),
  runGroup: z.string(),
  state: trialStateSchema,
  params: z.record(z.string(), z.unknown()),
  metric: num.nullable(),
  startedAt: seconds,
  endedAt: seconds.nullable(),
});
export type SweepTrialView = z.infer<typeof sweepTrialSchema>;

/** `GET /api/v1/sweeps/:entity/:project/:id`: a sweep, its trials and what they say. */
export const sweepSchema = z.object({
  id: z.string(),
  entity: z.string(),
  project: z.string(),
  state: sweepStateSchema,
  /** The parsed config, defaults filled. */
  config: z.record(z.string(), z.unknown()),
  createdAt: seconds,
  /** The run of the best finished trial by the metric's goal; null before any. */
  bestRunId: z.string().nullable(),
  /** The config's metric; name '' when the config names none. */
  metric: z.object({ name: z.string(), goal: z.enum(['minimize', 'maximize']) }),
  importance: z.array(z.object({ param: z.string(), importance: num, correlation: num })),
  trials: z.array(sweepTrialSchema),
});
export type SweepView = z.infer<typeof sweepSchema>;

/** `GET /api/v1/sweeps/:entity/:project`: a project's sweeps, newest first. */
export const sweepsSchema = z.object({
  sweeps: z.array(z.object({ id: z.string(), state: sweepStateSchema, createdAt: seconds, method: z.string(), metric: z.string(), trials: z.number().int() })),
});
export type SweepListView = z.infer<typeof sweepsSchema>;
