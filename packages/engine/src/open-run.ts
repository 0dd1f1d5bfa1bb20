import {
  CohortError,
  SummaryTracker,
  UsageError,
  generateRunId,
  generateRunName,
  groupRunId,
  isPlainObject,
  parseJson,
  parseMoment,
  stringifyJson,
  validateEntity,
  validateGroup,
  validateJobType,
  validateProject,
  validateRunId,
  validateTags,
  type OpenRunRequestMessage,
  type OpenRunResponseMessage,
} from '@cohort/protocol';
import { noRoomForRun, type NewRun, type RunPatch, type Store, type StoredRun } from '@cohort/store';
import { forEachLeafRow } from './history-query.js';
import { readMetricDefinitions, readObjectColumn } from './stored-state.js';

/** Resume modes of `OpenRunRequest.resume` (docs/run-semantics.md §5); '' behaves like 'never'. */
export type ResumeMode = '' | 'allow' | 'must' | 'never' | 'auto';
const RESUME_MODES: readonly string[] = ['', 'allow', 'must', 'never', 'auto'];

/** What {@link openRun} needs from the engine. */
export interface OpenRunContext {
  store: Store;
  /** Now in seconds since the epoch. */
  now: number;
  defaultEntity: string;
  /** Most runs one project may hold (`Limits.maxRunsPerProject`). */
  maxRunsPerProject: number;
}

/** Creates, resumes, forks or rewinds a run (docs/run-semantics.md §5). */
export async function openRun(ctx: OpenRunContext, req: OpenRunRequestMessage): Promise<OpenRunResponseMessage> {
  const entity = validateEntity(req.entity === '' ? ctx.defaultEntity : req.entity);
  const project = validateProject(req.project);
  if (!RESUME_MODES.includes(req.resume)) {
    throw new CohortError('INVALID_ARGUMENT', `resume: expected one of "allow", "must", "never", "auto" or "", got ${JSON.stringify(req.resume)}`);
  }
  const given = [req.resume !== '' && 'resume', req.forkFrom !== '' && 'forkFrom', req.resumeFrom !== '' && 'resumeFrom'].filter(Boolean);
  if (given.length > 1) {
    throw new CohortError('INVALID_ARGUMENT', `${given.join(' and ')}: at most one of resume, forkFrom and resumeFrom may be given`);
  }
  const tags = req.tags.length > 0 ? validateTags(req.tags) : [];
  if (req.group !== '') validateGroup(req.group);
  if (req.jobType !== '') validateJobType(req.jobType);
  const config = parseConfig(req.configJson);
  req = { ...req, tags };
  if (req.groupKey !== '') req = await claimGroup(ctx, req, entity, project);
  if (req.forkFrom !== '') return fork(ctx, req, entity, project, config);
  if (req.resumeFrom !== '') return rewind(ctx, req, entity, project, config);

  const runId = req.runId === '' ? generateRunId() : validateRunId(req.runId, 'runId');
  const key = { entity, project, runId };
  const mode = req.resume as ResumeMode;
  // Shared-mode writers join the primary's run: for them the run existing is the point.
  const join = req.mode === 'shared' && mode === '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await ctx.store.findRun(key);
    if (existing) {
      if (!join && (mode === '' || mode === 'never')) {
        throw new UsageError(
          `run: a run with id "${runId}" already exists in ${entity}/${project}; pass resume: "allow" (or "must") to continue it, or use a new id`,
        );
      }
      const resumed = await resume(ctx, req, existing, config, !join);
      if (resumed) return resumed;
      continue; // the run changed under us: look again
    }
    if (mode === 'must') {
      throw new UsageError(`run: resume is "must" but no run with id "${runId}" exists in ${entity}/${project}`);
    }
    const count = await checkRoomForRun(ctx, entity, project);
    try {
      const run = await ctx.store.createRun(newRun(ctx, req, key, config, count), { state: 'running', at: ctx.now, detail: 'created' }, { maxRunsPerProject: ctx.maxRunsPerProject });
      return response(run, false, 0);
    } catch (err) {
      if (!(err instanceof CohortError && err.code === 'ALREADY_EXISTS')) throw err;
      if (!join && (mode === '' || mode === 'never')) {
        throw new UsageError(`run: a run with id "${runId}" already exists in ${entity}/${project}; pass resume: "allow" to continue it`, { cause: err });
      }
      // Another rank created it first: with allow/auto (or a shared-mode join) that is a resume.
    }
  }
  throw new CohortError('UNAVAILABLE', `run: ${entity}/${project}/${runId} kept changing while it was opened; try again`);
}

/**
 * A group claim (docs/distributed.md, "Which job a rank belongs to"): the
 * store picks the instance of the job key this rank's node belongs to; the
 * run id is derived from that group and the rank, as the SDK derives it for a
 * group it knows, so a restarted rank resumes its own run.
 */
async function claimGroup(ctx: OpenRunContext, req: OpenRunRequestMessage, entity: string, project: string): Promise<OpenRunRequestMessage> {
  if (!Number.isInteger(req.rank) || req.rank < 0) throw new CohortError('INVALID_ARGUMENT', `rank: a group claim (groupKey) needs the rank, got ${req.rank}`);
  if (req.groupToken === '') throw new CohortError('INVALID_ARGUMENT', 'groupToken: must not be empty with a groupKey');
  if (req.group === '') throw new CohortError('INVALID_ARGUMENT', 'group: the base group name must not be empty with a groupKey');
  if (req.mode === 'shared' || req.resumeFrom !== '' || req.forkFrom !== '') {
    throw new CohortError('INVALID_ARGUMENT', 'groupKey: a group claim cannot be used with shared mode, resumeFrom or forkFrom');
  }
  const group = await ctx.store.claimGroup({ entity, project, base: req.group, key: req.groupKey, token: req.groupToken, slot: req.groupSlot }, ctx.now);
  return { ...req, group, runId: groupRunId(entity, project, group, req.rank), resume: req.resume === '' ? 'allow' : req.resume };
}

/**
 * Refuses early (before a fork's replay) to create a run in a project that
 * holds `maxRunsPerProject` already. The store checks again where it inserts
 * the run, in one step with the insert, so concurrent creations cannot
 * overshoot (run-room.ts of the store).
 */
async function checkRoomForRun(ctx: OpenRunContext, entity: string, project: string): Promise<number> {
  const limit = ctx.maxRunsPerProject;
  const count = await ctx.store.countRuns(entity, project, limit);
  if (count >= limit) throw noRoomForRun(entity, project, count, limit);
  return count;
}

function parseConfig(text: string): Record<string, unknown> {
  if (text === '') return {};
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (err) {
    throw new CohortError('INVALID_ARGUMENT', `configJson: expected a JSON object, got text that does not parse (${(err as Error).message})`);
  }
  if (!isPlainObject(value)) throw new CohortError('INVALID_ARGUMENT', `configJson: expected a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  return value;
}

/** -1 (or any negative) means "not part of a ranked group". */
function optionalInt(value: number): number | null {
  return Number.isInteger(value) && value >= 0 ? value : null;
}

/** `count`: the runs the project holds already; a run without a name is named `<adjective>-<noun>-<count + 1>` (W&B). */
function newRun(ctx: OpenRunContext, req: OpenRunRequestMessage, key: { entity: string; project: string; runId: string }, config: Record<string, unknown>, count: number): NewRun {
  const start = req.startTime > 0 ? req.startTime : ctx.now;
  return {
    ...key,
    name: req.name === '' ? generateRunName(count + 1) : req.name,
    state: 'running',
    exitCode: null,
    group: req.group,
    jobType: req.jobType,
    rank: optionalInt(req.rank),
    worldSize: req.worldSize > 0 ? req.worldSize : null,
    localRank: optionalInt(req.localRank),
    node: req.node,
    tags: [...req.tags],
    notes: req.notes,
    configJson: stringifyJson(config),
    summaryJson: '{}',
    summaryStateJson: '',
    metricsJson: '[]',
    startTime: start,
    endTime: null,
    heartbeatAt: ctx.now,
    runtime: 0,
    runtimeBase: 0,
    openedAt: ctx.now,
    lastStep: null,
    appliedSeq: 0,
    sweepId: req.sweepId,
    host: req.host,
    mode: req.mode,
    forkedFrom: '',
    resumed: false,
  };
}

/** Fields a reopening process may update: given ones win, the rest stay. */
function reopenPatch(ctx: OpenRunContext, req: OpenRunRequestMessage, run: StoredRun, config: Record<string, unknown>): RunPatch {
  const patch: RunPatch = {
    state: 'running',
    exitCode: null,
    endTime: null,
    heartbeatAt: ctx.now,
    openedAt: ctx.now,
    runtimeBase: run.runtime,
    configJson: stringifyJson({ ...readObjectColumn(run, 'config'), ...config }),
  };
  if (req.tags.length > 0) patch.tags = [...req.tags];
  if (req.name !== '') patch.name = req.name;
  if (req.notes !== '') patch.notes = req.notes;
  if (req.group !== '') patch.group = req.group;
  if (req.jobType !== '') patch.jobType = req.jobType;
  if (req.node !== '') patch.node = req.node;
  if (req.host !== '') patch.host = req.host;
  if (optionalInt(req.rank) !== null) patch.rank = optionalInt(req.rank);
  if (req.worldSize > 0) patch.worldSize = req.worldSize;
  if (optionalInt(req.localRank) !== null) patch.localRank = optionalInt(req.localRank);
  return patch;
}

async function resume(
  ctx: OpenRunContext,
  req: OpenRunRequestMessage,
  run: StoredRun,
  config: Record<string, unknown>,
  markResumed: boolean,
): Promise<OpenRunResponseMessage | undefined> {
  const patch = reopenPatch(ctx, req, run, config);
  if (markResumed) patch.resumed = true;
  const event = run.state === 'running' && !markResumed ? undefined : { state: 'running', at: ctx.now, detail: markResumed ? `resumed (was ${run.state})` : `joined (was ${run.state})` };
  const ok = await ctx.store.updateRun(run.pk, patch, { expectedVersion: run.version, ...(event && { event }) });
  if (!ok) return undefined;
  const updated = (await ctx.store.getRunByPk(run.pk))!;
  const res = response(updated, markResumed, run.lastStep === null ? 0 : run.lastStep + 1);
  if (req.mode === 'shared' && req.label !== '') res.appliedSeq = await ctx.store.writerAppliedSeq(run.pk, req.label);
  return res;
}

function response(run: StoredRun, resumed: boolean, startingStep: number): OpenRunResponseMessage {
  return {
    entity: run.entity,
    project: run.project,
    runId: run.runId,
    name: run.name,
    resumed,
    startingStep,
    runtimeOffset: run.runtimeBase,
    appliedSeq: run.appliedSeq,
    summaryStateJson: run.summaryStateJson,
    configJson: run.configJson,
    tags: run.tags,
    notes: run.notes,
    group: run.group,
    jobType: run.jobType,
    url: '',
    startTime: run.startTime,
    state: run.state,
  };
}

/** The summary of a run's rows up to `step`, recomputed with its metric definitions. */
export async function replaySummary(
  store: Store,
  source: StoredRun,
  step: number,
): Promise<{ summaryJson: string; summaryStateJson: string; lastStep: number | null; runtime: number }> {
  const tracker = SummaryTracker.fromJSON(undefined);
  for (const def of readMetricDefinitions(source)) tracker.defineMetric(def);
  let lastStep: number | null = null;
  let runtime = 0;
  await forEachLeafRow(store, source.pk, step, (row) => {
    tracker.applyRow(row.leaves);
    lastStep = row.step;
    for (const [path, value] of row.leaves) if (path === '_runtime' && typeof value === 'number') runtime = value;
  });
  return { summaryJson: stringifyJson(tracker.summary()), summaryStateJson: stringifyJson(tracker.toJSON()), lastStep, runtime };
}

async function sourceAt(ctx: OpenRunContext, entity: string, project: string, text: string, field: 'forkFrom' | 'resumeFrom') {
  const moment = parseMoment(text, field);
  const source = await ctx.store.findRun({ entity, project, runId: moment.runId });
  if (!source) throw new CohortError('NOT_FOUND', `${field}: no run with id "${moment.runId}" in ${entity}/${project}`);
  if (source.lastStep === null || moment.step > source.lastStep) {
    throw new CohortError(
      'INVALID_ARGUMENT',
      `${field}: step ${moment.step} is after the last step of run "${moment.runId}" (${source.lastStep === null ? 'it has no rows' : source.lastStep})`,
    );
  }
  return { moment, source };
}

async function fork(
  ctx: OpenRunContext,
  req: OpenRunRequestMessage,
  entity: string,
  project: string,
  config: Record<string, unknown>,
): Promise<OpenRunResponseMessage> {
  const { moment, source } = await sourceAt(ctx, entity, project, req.forkFrom, 'forkFrom');
  const runId = req.runId === '' ? generateRunId() : validateRunId(req.runId, 'runId');
  if (runId === source.runId) {
    throw new CohortError('INVALID_ARGUMENT', `forkFrom: the fork needs an id other than its source's ("${runId}"); use resumeFrom to rewind a run`);
  }
  const count = await checkRoomForRun(ctx, entity, project);
  const replay = await replaySummary(ctx.store, source, moment.step);
  const run: NewRun = {
    ...newRun(ctx, req, { entity, project, runId }, { ...readObjectColumn(source, 'config'), ...config }, count),
    summaryJson: replay.summaryJson,
    summaryStateJson: replay.summaryStateJson,
    metricsJson: source.metricsJson,
    lastStep: replay.lastStep,
    runtime: replay.runtime,
    runtimeBase: replay.runtime,
    forkedFrom: `${source.runId}?_step=${moment.step}`,
  };
  let created: StoredRun;
  try {
    created = await ctx.store.forkRun(source.pk, moment.step, run, { state: 'running', at: ctx.now, detail: `forked from ${run.forkedFrom}` }, { maxRunsPerProject: ctx.maxRunsPerProject });
  } catch (err) {
    if (err instanceof CohortError && err.code === 'ALREADY_EXISTS') {
      throw new UsageError(`forkFrom: a run with id "${runId}" already exists in ${entity}/${project}; a fork is a new run`, { cause: err });
    }
    throw err;
  }
  return response(created, false, moment.step + 1);
}

async function rewind(
  ctx: OpenRunContext,
  req: OpenRunRequestMessage,
  entity: string,
  project: string,
  config: Record<string, unknown>,
): Promise<OpenRunResponseMessage> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const { moment, source } = await sourceAt(ctx, entity, project, req.resumeFrom, 'resumeFrom');
    if (req.runId !== '' && req.runId !== source.runId) {
      throw new CohortError('INVALID_ARGUMENT', `resumeFrom: names run "${source.runId}" but runId is "${req.runId}"; resumeFrom rewinds the same run`);
    }
    const replay = await replaySummary(ctx.store, source, moment.step);
    const patch: RunPatch = {
      ...reopenPatch(ctx, req, source, config),
      resumed: true,
      summaryJson: replay.summaryJson,
      summaryStateJson: replay.summaryStateJson,
      lastStep: replay.lastStep,
      runtime: replay.runtime,
      runtimeBase: replay.runtime,
    };
    const ok = await ctx.store.rewindRun(source.pk, source.version, moment.step, patch, {
      state: 'running',
      at: ctx.now,
      detail: `rewound to step ${moment.step} (was ${source.state})`,
    });
    if (!ok) continue;
    const run = (await ctx.store.getRunByPk(source.pk))!;
    return response(run, true, moment.step + 1);
  }
  throw new CohortError('UNAVAILABLE', `resumeFrom: run "${req.resumeFrom}" kept changing while it was rewound; try again`);
}
