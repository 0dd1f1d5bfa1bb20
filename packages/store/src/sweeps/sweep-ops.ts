import { CohortError } from '@cohort/protocol';
import { pgOnly, sql, type SqlProgram } from '../artifacts/sql-program.js';
import type { NewTrial, NextTrial, StoredSweep, StoredTrial, SweepKey, SweepState, TrialProgress, TrialState } from './sweep-types.js';

/**
 * The sweep operations of both SQL stores, written once as {@link SqlProgram}s.
 * `next` runs under a per-sweep lock (an advisory lock in Postgres; SQLite's
 * store runs it in an immediate transaction), so a suggestion is computed once,
 * from the trials as they are, and goes to exactly one agent, whichever
 * coordinator the agent asked.
 */

/** First key of the per-sweep advisory lock ("Swp"). */
const SWEEP_LOCK_CLASS = 0x537770;

interface SweepRow {
  entity: string;
  project: string;
  id: string;
  config_json: string;
  state: string;
  created_at: number;
  updated_at: number;
}

interface TrialRow {
  seq: number;
  id: string;
  params_json: string;
  state: string;
  agent: string;
  stop_requested: number | boolean;
  metric: number | null;
  history_json: string;
  exit_code: number | null;
  timeout_s: number;
  started_at: number;
  heartbeat_at: number;
  ended_at: number | null;
}

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toSweep(r: SweepRow): StoredSweep {
  return {
    entity: r.entity,
    project: r.project,
    id: r.id,
    configJson: r.config_json,
    state: r.state as SweepState,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

function toTrial(r: TrialRow): StoredTrial {
  return {
    id: r.id,
    seq: num(r.seq),
    paramsJson: r.params_json,
    state: r.state as TrialState,
    agent: r.agent,
    stopRequested: r.stop_requested === true || Number(r.stop_requested) === 1,
    metric: numOrNull(r.metric),
    historyJson: r.history_json,
    exitCode: numOrNull(r.exit_code),
    timeoutSeconds: num(r.timeout_s),
    startedAt: num(r.started_at),
    heartbeatAt: num(r.heartbeat_at),
    endedAt: numOrNull(r.ended_at),
  };
}

const K = 'entity = ? AND project = ? AND id = ?';
const TK = 'entity = ? AND project = ? AND sweep_id = ?';
const keyOf = (k: SweepKey) => [k.entity, k.project, k.id] as const;

/** A finite number, else null (NaN never reaches a column). */
function finiteOrNull(v: number | null | undefined): number | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : v;
}

export function* createSweep(s: StoredSweep): SqlProgram<StoredSweep> {
  const rows = yield sql(`SELECT 1 AS one FROM sweeps WHERE ${K}`, ...keyOf(s));
  if (rows.length > 0) throw new CohortError('ALREADY_EXISTS', `sweep ${s.entity}/${s.project}/${s.id} exists`);
  yield sql(
    'INSERT INTO sweeps (entity, project, id, config_json, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    s.entity,
    s.project,
    s.id,
    s.configJson,
    s.state,
    s.createdAt,
    s.updatedAt,
  );
  return s;
}

export function* getSweep(key: SweepKey): SqlProgram<StoredSweep | undefined> {
  const rows = (yield sql(`SELECT * FROM sweeps WHERE ${K}`, ...keyOf(key))) as unknown as SweepRow[];
  return rows[0] ? toSweep(rows[0]) : undefined;
}

export function* listSweeps(entity: string, project: string, limit: number): SqlProgram<StoredSweep[]> {
  const rows = (yield sql('SELECT * FROM sweeps WHERE entity = ? AND project = ? ORDER BY created_at DESC, id LIMIT ?', entity, project, limit)) as unknown as SweepRow[];
  return rows.map(toSweep);
}

/** Every column but the metric history, which only early termination reads. */
const TRIAL_COLUMNS = "seq, id, params_json, state, agent, stop_requested, metric, '' AS history_json, exit_code, timeout_s, started_at, heartbeat_at, ended_at";

/** A sweep's trials by seq; their metric histories (`historyJson`) only `withHistory`. */
export function* listTrials(key: SweepKey, withHistory = true): SqlProgram<StoredTrial[]> {
  const rows = (yield sql(`SELECT ${withHistory ? '*' : TRIAL_COLUMNS} FROM sweep_trials WHERE ${TK} ORDER BY seq`, ...keyOf(key))) as unknown as TrialRow[];
  return rows.map(toTrial);
}

function* oneTrial(key: SweepKey, seq: number): SqlProgram<StoredTrial | undefined> {
  const rows = (yield sql(`SELECT * FROM sweep_trials WHERE ${TK} AND seq = ?`, ...keyOf(key), seq)) as unknown as TrialRow[];
  return rows[0] ? toTrial(rows[0]) : undefined;
}

/** Running trials whose agent stopped heartbeating become `crashed`. */
function* expire(key: SweepKey, now: number): SqlProgram<void> {
  yield sql(`UPDATE sweep_trials SET state = 'crashed', ended_at = ? WHERE ${TK} AND state = 'running' AND heartbeat_at + timeout_s < ?`, now, ...keyOf(key), now);
}

export function* expireTrials(key: SweepKey, now: number): SqlProgram<void> {
  yield* expire(key, now);
}

/**
 * Moves a sweep from one of `from` to `to`; with `stopRunning`, its running
 * trials are asked to stop. Returns the sweep as it is after (unchanged when
 * it was not in `from`), or `undefined` for an unknown sweep.
 */
export function* setSweepState(key: SweepKey, from: readonly SweepState[], to: SweepState, now: number, stopRunning: boolean): SqlProgram<StoredSweep | undefined> {
  yield pgOnly(`SELECT 1 FROM sweeps WHERE ${K} FOR UPDATE`, ...keyOf(key));
  const sweep = yield* getSweep(key);
  if (!sweep || !from.includes(sweep.state)) return sweep;
  yield sql(`UPDATE sweeps SET state = ?, updated_at = ? WHERE ${K}`, to, now, ...keyOf(key));
  if (stopRunning) yield sql(`UPDATE sweep_trials SET stop_requested = 1 WHERE ${TK} AND state = 'running'`, ...keyOf(key));
  return { ...sweep, state: to, updatedAt: now };
}

/**
 * The next trials of a sweep, one per agent asking, in one transaction under
 * the sweep's lock: stale trials are counted crashed first, then for each
 * agent in turn `decide` sees the sweep and every trial (those just handed
 * out included; histories only `withHistory`) and answers the parameters
 * (JSON) of its trial, or null when the search has nothing more to try (the
 * sweep is then `finished` once no trial runs). One answer per agent, in order.
 */
export function* nextTrials(
  key: SweepKey,
  now: number,
  agents: readonly NewTrial[],
  decide: (sweep: StoredSweep, trials: readonly StoredTrial[]) => string | null,
  withHistory = false,
): SqlProgram<NextTrial[]> {
  yield pgOnly('SELECT pg_advisory_xact_lock(?, hashtext(?))', SWEEP_LOCK_CLASS, keyOf(key).join('\u0001'));
  const sweep = yield* getSweep(key);
  if (!sweep) throw new CohortError('NOT_FOUND', `sweep ${key.entity}/${key.project}/${key.id} does not exist`);
  yield* expire(key, now);
  const none = (why: 'done' | 'paused' | 'stopped' | 'waiting'): NextTrial[] => agents.map(() => ({ none: why }));
  if (sweep.state === 'paused') return none('paused');
  if (sweep.state === 'finished') return none('done');
  if (sweep.state !== 'running') return none('stopped');
  const trials = yield* listTrials(key, withHistory);
  const out: NextTrial[] = [];
  let seq = trials.reduce((m, t) => Math.max(m, t.seq), 0);
  for (const agent of agents) {
    const paramsJson = decide(sweep, trials);
    if (paramsJson === null) {
      if (trials.some((t) => t.state === 'running')) {
        out.push({ none: 'waiting' });
        continue;
      }
      yield sql(`UPDATE sweeps SET state = 'finished', updated_at = ? WHERE ${K}`, now, ...keyOf(key));
      while (out.length < agents.length) out.push({ none: 'done' });
      return out;
    }
    seq++;
    const trial: StoredTrial = {
      id: `${key.id}-${seq}`,
      seq,
      paramsJson,
      state: 'running',
      agent: agent.agent,
      stopRequested: false,
      metric: null,
      historyJson: '',
      exitCode: null,
      timeoutSeconds: agent.timeoutSeconds,
      startedAt: now,
      heartbeatAt: now,
      endedAt: null,
    };
    yield sql(
      `INSERT INTO sweep_trials (entity, project, sweep_id, seq, id, params_json, state, agent, stop_requested, history_json, timeout_s, started_at, heartbeat_at)
       VALUES (?, ?, ?, ?, ?, ?, 'running', ?, 0, '', ?, ?, ?)`,
      ...keyOf(key),
      seq,
      trial.id,
      paramsJson,
      agent.agent,
      agent.timeoutSeconds,
      now,
      now,
    );
    trials.push(trial);
    out.push({ trial });
  }
  return out;
}

/** A heartbeat of a running trial; the trial as it is after (`undefined` when unknown). */
export function* heartbeatTrial(key: SweepKey, seq: number, now: number): SqlProgram<StoredTrial | undefined> {
  yield sql(`UPDATE sweep_trials SET heartbeat_at = ? WHERE ${TK} AND seq = ? AND state = 'running'`, now, ...keyOf(key), seq);
  return yield* oneTrial(key, seq);
}

/** Records a trial's metric and its history so far. */
export function* recordProgress(key: SweepKey, seq: number, progress: TrialProgress): SqlProgram<void> {
  if (progress.metric !== undefined) yield sql(`UPDATE sweep_trials SET metric = ? WHERE ${TK} AND seq = ?`, finiteOrNull(progress.metric), ...keyOf(key), seq);
  if (progress.historyJson !== undefined) yield sql(`UPDATE sweep_trials SET history_json = ? WHERE ${TK} AND seq = ?`, progress.historyJson, ...keyOf(key), seq);
}

/** Asks running trials to stop (early termination). */
export function* requestStop(key: SweepKey, seqs: readonly number[]): SqlProgram<void> {
  for (const seq of seqs) yield sql(`UPDATE sweep_trials SET stop_requested = 1 WHERE ${TK} AND seq = ? AND state = 'running'`, ...keyOf(key), seq);
}

/**
 * Ends a trial (`running`, or `crashed` by a missed heartbeat and ending after
 * all) in `state`. Returns the trial after, `undefined` when unknown.
 */
export function* endTrial(key: SweepKey, seq: number, state: TrialState, exitCode: number | null, now: number, progress: TrialProgress): SqlProgram<StoredTrial | undefined> {
  yield sql(
    `UPDATE sweep_trials SET state = ?, exit_code = ?, ended_at = ? WHERE ${TK} AND seq = ? AND state IN ('running', 'crashed')`,
    state,
    exitCode,
    now,
    ...keyOf(key),
    seq,
  );
  yield* recordProgress(key, seq, progress);
  return yield* oneTrial(key, seq);
}
