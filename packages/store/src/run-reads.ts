import { alertFromRow, type AlertRow } from './alert-row.js';
import { sql, type SqlProgram } from './artifacts/sql-program.js';
import type { AlertScope, ProjectInfo, RunHead, RunKey, StoredAlert, StoredRunEvent } from './types.js';

/**
 * Reads of runs' projects, alerts and events written once for both SQL stores
 * (as {@link SqlProgram}s, like history/history-ops.ts): the SQL is the same
 * in both dialects (`NOT suppressed` reads SQLite's 0/1 and Postgres's boolean alike).
 */

/** Projects with runs, optionally of one entity, by entity and name. */
export function* listProjects(entity?: string): SqlProgram<ProjectInfo[]> {
  const where = entity === undefined ? '' : ' WHERE entity = ?';
  const rows = yield sql(
    `SELECT entity, project, count(*) AS "runCount", max(updated_at) AS "updatedAt" FROM runs${where} GROUP BY entity, project ORDER BY entity, project`,
    ...(entity === undefined ? [] : [entity]),
  );
  return rows.map((r) => ({ entity: String(r['entity']), project: String(r['project']), runCount: Number(r['runCount']), updatedAt: Number(r['updatedAt']) }));
}

/** How many runs a project holds, counting no further than `upTo`. */
export function* countRuns(entity: string, project: string, upTo: number): SqlProgram<number> {
  const rows = yield sql('SELECT count(*) AS n FROM (SELECT 1 FROM runs WHERE entity = ? AND project = ? LIMIT ?) AS counted', entity, project, upTo);
  return Number(rows[0]!['n']);
}

/** The latest unsuppressed alert with `title` in the run, or in its group when the scope names one. */
export function* lastAlert(scope: AlertScope, title: string): SqlProgram<StoredAlert | undefined> {
  const g = scope.group;
  const rows =
    g && g.group !== ''
      ? yield sql(
          `SELECT a.* FROM alerts a JOIN runs r ON r.pk = a.run_pk
           WHERE a.title = ? AND NOT a.suppressed AND (a.run_pk = ? OR (r.entity = ? AND r.project = ? AND r.run_group = ?))
           ORDER BY a.timestamp DESC, a.id DESC LIMIT 1`,
          title,
          scope.runPk,
          g.entity,
          g.project,
          g.group,
        )
      : yield sql('SELECT * FROM alerts WHERE title = ? AND NOT suppressed AND run_pk = ? ORDER BY timestamp DESC, id DESC LIMIT 1', title, scope.runPk);
  return rows[0] && alertFromRow(rows[0] as unknown as AlertRow);
}

/** A run's alerts, oldest first. */
export function* listAlerts(pk: number): SqlProgram<StoredAlert[]> {
  return (yield sql('SELECT * FROM alerts WHERE run_pk = ? ORDER BY id', pk)).map((r) => alertFromRow(r as unknown as AlertRow));
}

/** A run's state history, oldest first. */
export function* listRunEvents(pk: number): SqlProgram<StoredRunEvent[]> {
  const rows = yield sql('SELECT id, run_pk, state, at, detail FROM run_events WHERE run_pk = ? ORDER BY id', pk);
  return rows.map((r) => ({ id: Number(r['id']), runPk: Number(r['run_pk']), state: String(r['state']), at: Number(r['at']), detail: String(r['detail']) }));
}

/** A run's pk, version and heartbeat, without its row's config and summary. */
export function* findRunHead(key: RunKey): SqlProgram<RunHead | undefined> {
  const rows = yield sql('SELECT pk, version, heartbeat_at FROM runs WHERE entity = ? AND project = ? AND run_id = ?', key.entity, key.project, key.runId);
  const r = rows[0];
  return r && { pk: Number(r['pk']), version: Number(r['version']), heartbeatAt: r['heartbeat_at'] === null ? null : Number(r['heartbeat_at']) };
}

/** The applied seq of a shared-mode writer of a run ('' is the run's own); 0 before any. */
export function* writerAppliedSeq(pk: number, writer: string): SqlProgram<number> {
  const rows =
    writer === ''
      ? yield sql('SELECT applied_seq FROM runs WHERE pk = ?', pk)
      : yield sql('SELECT applied_seq FROM run_writers WHERE run_pk = ? AND label = ?', pk, writer);
  return rows[0] === undefined ? 0 : Number(rows[0]['applied_seq']);
}
