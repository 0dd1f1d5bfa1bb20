import { join } from 'node:path';
import {
  CohortError,
  ConfigState,
  generateRunId,
  generateRunName,
  parseJson,
  parseMoment,
  stringifyJson,
  SummaryTracker,
  UsageError,
  invalidArgument,
  validateEntity,
  validateGroup,
  validateJobType,
  validateProject,
  validateRunId,
  validateTags,
  withOpenRunDefaults,
  type OpenRunRequestMessage,
  type OpenRunResponseMessage,
  type SummaryState,
} from '@cohort/protocol';
import { resolveInitOptions, type InitOptions, type ResolvedInitOptions } from './init-options.js';
import { RecordLog } from './record-log.js';
import { createRunDir, readResumeId, removeResumeId, runDirPath, writeResumeId } from './run-dir.js';
import { Run, type LogOptions, type RunParts } from './run.js';
import { connect, resolveEndpoint, type ServerEndpoint } from './transport/endpoint.js';
import type { CoordinatorClient } from './transport/grpc-client.js';
import { openRunRetrying } from './transport/open-run-retrying.js';
import { retryingUntil } from './transport/retrying.js';
import { RunAssets } from './artifacts/run-assets.js';
import { lockSweepParams, readSweepEnv } from './sweeps/sweep-env.js';
import { AssetClient } from './transport/asset-client.js';
import { MediaUploader } from './files/media-uploader.js';
import { RecordPump } from './transport/record-pump.js';
import { WAL_FORMAT_VERSION } from './wal/wal-format.js';
import { WalWriter } from './wal/segment-writer.js';
import { writeWriterFile } from './exit/writer-file.js';
import { uploadLeftovers } from './exit/leftovers.js';

/**
 * The active run of this process (W&B's `wandb.run`), or `undefined`. An ESM
 * live binding: `import { run } from '@cohort/sdk'` sees it change.
 */
export let run: Run | undefined;

/** The entity shown for offline and disabled runs (the server picks the real one at sync). */
const LOCAL_ENTITY = 'local';

let starting: Promise<Run> | undefined;

/** How long `init()` looks for the server before saying it is still trying. */
const STILL_TRYING_MS = 2000;

/**
 * Starts a run (W&B's `wandb.init`). At most one run is active per process: a
 * second `init` finishes the active run (exit code 0) before starting the new
 * one, unless `reinit` says otherwise (`"create_new"`: several independent
 * runs in one process, as a sweep agent or a rank host needs). Online, it opens the run on the server (bounded by
 * `settings.initTimeoutMs`); errors are `CohortError`s (`UsageError` for
 * resume `must`/`never` conflicts).
 *
 * The run ends with the process when nobody calls `finish()` (docs/sdk.md,
 * how a run ends): `finished` when the event loop drains, `failed` with the
 * error on an uncaught exception or a non-zero exit, `killed` on SIGINT;
 * every logged row is in the WAL first, and an uploader sends what the server
 * has not committed.
 *
 * @example
 * const run = await init({ project: 'mnist', config: { lr: 0.01 } });
 * run.log({ loss: 0.3 });
 * await run.finish();
 */
export async function init(options?: InitOptions): Promise<Run> {
  const resolved = resolveInitOptions(options);
  if (resolved.reinit === 'create_new') {
    const independent = await startRun(resolved);
    if (resolved.mode !== 'disabled') independent.startBackground();
    return independent;
  }
  // Serialize concurrent init calls so "one active run" holds.
  while (starting) await starting.catch(() => undefined);
  const p = (async () => {
    if (run && resolved.reinit === 'return_previous') return run;
    if (run) await run.finish(0);
    return startRun(resolved);
  })();
  starting = p;
  try {
    const r = await p;
    if (r === run) return r;
    run = r;
    if (resolved.mode !== 'disabled') r.startBackground();
    return r;
  } finally {
    if (starting === p) starting = undefined;
  }
}

/**
 * Logs to the active run (`wandb.log`). Throws `UsageError` when there is none.
 */
export function log(data: Readonly<Record<string, unknown>>, options?: LogOptions): void {
  if (!run) throw new UsageError('You must call `init()` before `log()`.');
  run.log(data, options);
}

/** Finishes the active run, if any (`wandb.finish`). */
export async function finish(exitCode = 0): Promise<void> {
  await run?.finish(exitCode);
}

/**
 * Runs `fn` with a new run and finishes it: exit code 0 when `fn` returns, 1
 * when it throws (the error propagates). W&B's `with wandb.init() as run:`.
 *
 * @example
 * await withRun({ project: 'mnist' }, async (run) => {
 *   run.log({ loss: 0.3 });
 * });
 */
export async function withRun<T>(options: InitOptions | undefined, fn: (run: Run) => T | Promise<T>): Promise<T> {
  const r = await init(options);
  let result: T;
  try {
    result = await fn(r);
  } catch (err) {
    await r.finishFailed(err);
    throw err;
  }
  await r.finish(0);
  return result;
}

async function startRun(o: ResolvedInitOptions): Promise<Run> {
  const startDate = new Date();
  const savedId = o.resume === 'auto' && o.id === undefined ? await readResumeId(o.baseDir) : undefined;
  let id = o.id ?? savedId;
  if (o.resumeFrom !== '') {
    const moment = parseMoment(o.resumeFrom, 'resumeFrom');
    if (id !== undefined && id !== moment.runId) {
      throw invalidArgument(`\`resumeFrom\` rewinds run ${moment.runId}, but \`id\` is ${id}: they must be the same run`);
    }
    id = moment.runId;
  }
  if (o.forkFrom !== '') {
    const moment = parseMoment(o.forkFrom, 'forkFrom');
    if (id !== undefined && id === moment.runId) {
      throw invalidArgument(`\`forkFrom\` makes a new run: its \`id\` must differ from the forked run ${moment.runId}`);
    }
  }
  const generatedId = id === undefined;
  id = asUsageError(() => validateRunId(id ?? generateRunId()));
  const project = asUsageError(() => validateProject(o.project));
  if (o.entity !== undefined) asUsageError(() => validateEntity(o.entity));
  const group = o.group === '' ? '' : validateGroup(o.group);
  const jobType = o.jobType === '' ? '' : validateJobType(o.jobType);
  const tags = o.tags === undefined ? undefined : validateTags(o.tags);
  const config = new ConfigState();
  config.update(o.config);
  // A sweep trial's parameters (its agent's environment) win and are locked.
  const trial = readSweepEnv();
  lockSweepParams(config, trial);
  const plannedDir = runDirPath(o.baseDir, id, startDate);

  const request: OpenRunRequestMessage = withOpenRunDefaults({
    entity: o.entity ?? '',
    project,
    runId: id,
    // Online the server names a new run (its number in the project); offline and disabled runs are named here.
    name: o.name === '' && (o.mode === 'offline' || o.mode === 'disabled') && (o.resume === '' || o.resume === 'never') ? generateRunName() : o.name,
    group,
    jobType,
    tags: tags ?? [],
    notes: o.notes,
    configJson: stringifyJson(config.toJSON()),
    resume: o.resume,
    resumeFrom: o.resumeFrom,
    forkFrom: o.forkFrom,
    rank: o.rank,
    worldSize: o.worldSize,
    localRank: o.localRank,
    node: o.node,
    restartAttempt: o.restartAttempt,
    ...o.groupClaim,
    startTime: startDate.getTime() / 1000,
    mode: o.mode,
    label: o.mode === 'shared' ? o.settings.label : '',
    primary: o.settings.primary,
    sweepId: trial?.sweepId ?? '',
    host: o.host,
    offline: false,
  });

  if (o.mode === 'disabled') {
    return new Run(
      localParts(o, request, plannedDir, tags ?? [], config, undefined, () => Promise.resolve()),
    );
  }

  if (o.mode === 'offline') {
    const dir = await createRunDir(plannedDir);
    await writeWriterFile(dir);
    const wal = await WalWriter.open(join(dir, 'wal'), { formatVersion: WAL_FORMAT_VERSION, open: request }, { segmentBytes: o.settings.walSegmentBytes });
    const records = new RecordLog({ appliedSeq: 0, wal, maxBufferedBytes: o.settings.maxBufferedBytes, maxWalBytes: o.settings.maxWalBytes, logger: o.settings.logger });
    if (o.resume === 'auto') await writeResumeId(o.baseDir, id);
    const media = new MediaUploader({ filesDir: join(dir, 'files'), logger: o.settings.logger });
    const assets = new RunAssets({
      client: undefined,
      run: { entity: request.entity || LOCAL_ENTITY, project, runId: id },
      group: request.group,
      rank: o.rank,
      runDir: dir,
      baseDir: o.baseDir,
      logger: o.settings.logger,
      progress: undefined,
    });
    return new Run({ ...localParts(o, request, dir, tags ?? [], config, records, endHook(o)), media, assets });
  }

  // online and shared
  // One deadline for finding the server and opening the run; both are tried again while the server is away.
  const deadline = Date.now() + o.settings.initTimeoutMs;
  // Said once, early: a wrong COHORT_URL would otherwise wait initTimeoutMs in silence.
  const stillTrying = setTimeout(() => {
    if (!o.settings.silent) {
      o.settings.logger.warn(`still trying to reach the Cohort server at ${o.url} (COHORT_URL); giving up ${Math.round((deadline - Date.now()) / 1000)} s from now (initTimeoutMs).`);
    }
  }, STILL_TRYING_MS);
  stillTrying.unref();
  let endpoint: ServerEndpoint;
  let client: CoordinatorClient;
  let response: OpenRunResponseMessage;
  try {
    endpoint = await retryingUntil(deadline, (_, leftMs) => resolveEndpoint(o.url, o.apiKey, leftMs, o.tlsCa));
    // A resumed run first takes in what its earlier processes left in their WALs (kill -9).
    if (!generatedId && o.mode !== 'shared') await uploadLeftovers(o.baseDir, id, o, deadline - Date.now(), o.settings.logger);
    client = connect(endpoint);
    try {
      response = await openRunRetrying(client, request, o.apiKey, deadline, generatedId);
    } catch (err) {
      client.close();
      throw err;
    }
  } finally {
    clearTimeout(stillTrying);
  }
  try {
    return await onlineRun(o, request, response, endpoint, client, startDate);
  } catch (err) {
    client.close();
    throw err;
  }
}

async function onlineRun(
  o: ResolvedInitOptions,
  request: OpenRunRequestMessage,
  response: OpenRunResponseMessage,
  endpoint: ServerEndpoint,
  client: CoordinatorClient,
  startDate: Date,
): Promise<Run> {
  const id = response.runId || request.runId;
  const entity = response.entity || request.entity || endpoint.defaultEntity || LOCAL_ENTITY;
  const project = response.project || request.project;
  const dir = await createRunDir(runDirPath(o.baseDir, id, startDate));
  await writeWriterFile(dir);
  // The header names the run the server opened, so `cohort sync` can finish uploading it.
  const header = { formatVersion: WAL_FORMAT_VERSION, open: { ...request, runId: id, entity, project } };
  const wal = await WalWriter.open(join(dir, 'wal'), header, { segmentBytes: o.settings.walSegmentBytes });
  const records = new RecordLog({
    appliedSeq: response.appliedSeq,
    wal,
    maxBufferedBytes: o.settings.maxBufferedBytes,
    maxWalBytes: o.settings.maxWalBytes,
    logger: o.settings.logger,
  });
  const pump = new RecordPump({
    client,
    apiKey: o.apiKey,
    hello: { entity, project, runId: id, label: request.label },
    source: records,
    logger: o.settings.logger,
    heartbeatMs: o.settings.heartbeatSeconds * 1000,
    onCommitted: (seq) => records.committed(seq),
    onFailed: () => records.abandonWaiters(),
  });
  records.onWritten(() => pump.notify());
  pump.start();
  if (o.resume === 'auto') await writeResumeId(o.baseDir, id);

  const config = response.configJson !== '' ? new ConfigState(parseJson(response.configJson) as Record<string, unknown>) : new ConfigState(parseJson(request.configJson) as Record<string, unknown>);
  lockSweepParams(config, readSweepEnv());
  const summary =
    response.summaryStateJson !== '' ? SummaryTracker.fromJSON(parseJson(response.summaryStateJson) as SummaryState) : new SummaryTracker();
  const assetClient = new AssetClient(endpoint.grpcAddress, { apiKey: o.apiKey, tlsCa: endpoint.tlsCa });
  const assets = new RunAssets({
    client: assetClient,
    run: { entity, project, runId: id },
    group: response.group || request.group,
    rank: o.rank,
    runDir: dir,
    baseDir: o.baseDir,
    logger: o.settings.logger,
    progress: o.settings.silent ? undefined : process.stderr,
  });
  const parts: RunParts = {
    options: o,
    id,
    entity,
    project,
    name: response.name || request.name || id,
    group: response.group || request.group,
    jobType: response.jobType || request.jobType,
    tags: response.tags.length > 0 || o.tags === undefined ? response.tags : request.tags,
    notes: response.notes || request.notes,
    resumed: response.resumed,
    startingStep: response.startingStep,
    runtimeOffset: response.runtimeOffset,
    startTime: response.startTime || request.startTime,
    url: response.url || undefined,
    httpUrl: endpoint.httpUrl,
    sweepId: request.sweepId,
    dir,
    summary,
    config,
    records,
    pump,
    closeTransport: () => client.close(),
    assets,
    media: new MediaUploader({ filesDir: join(dir, 'files'), target: { client: assetClient, run: { entity, project, runId: id } }, logger: o.settings.logger }),
    onEnded: endHook(o),
  };
  return new Run(parts);
}

/** W&B raises `UsageError` for a bad run id or project name: the rule's message, as a `UsageError`. */
function asUsageError<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof CohortError && err.code === 'INVALID_ARGUMENT') throw new UsageError(err.message, { cause: err });
    throw err;
  }
}

function localParts(
  o: ResolvedInitOptions,
  request: OpenRunRequestMessage,
  dir: string,
  tags: readonly string[],
  config: ConfigState,
  records: RecordLog | undefined,
  onEnded: RunParts['onEnded'],
): RunParts {
  return {
    options: o,
    id: request.runId,
    entity: request.entity || LOCAL_ENTITY,
    project: request.project,
    name: request.name || request.runId,
    group: request.group,
    jobType: request.jobType,
    tags,
    notes: request.notes,
    resumed: false,
    startingStep: 0,
    runtimeOffset: 0,
    startTime: request.startTime,
    url: undefined,
    httpUrl: undefined,
    sweepId: request.sweepId,
    dir,
    summary: new SummaryTracker(),
    config,
    records,
    pump: undefined,
    closeTransport: () => undefined,
    onEnded: async (r, exitCode) => {
      if (run === r) run = undefined;
      await onEnded(r, exitCode);
    },
  };
}

function endHook(o: ResolvedInitOptions): RunParts['onEnded'] {
  return async (r, exitCode) => {
    if (run === r) run = undefined;
    if (exitCode === 0 && o.resume === 'auto') await removeResumeId(o.baseDir).catch(() => undefined);
  };
}
