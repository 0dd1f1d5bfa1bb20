import type { StoredAlert } from './types.js';

/** An `alerts` row as both stores read it (SQLite stores the flag as 0/1, Postgres as a boolean). */
export interface AlertRow {
  id: number;
  run_pk: number;
  title: string;
  text: string;
  level: string;
  timestamp: number;
  wait_duration_ms: number;
  suppressed: number | boolean;
}

/** The stored alert of an `alerts` row. */
export function alertFromRow(r: AlertRow): StoredAlert {
  return {
    id: r.id,
    runPk: r.run_pk,
    title: r.title,
    text: r.text,
    level: r.level,
    timestamp: r.timestamp,
    waitDurationMs: r.wait_duration_ms,
    suppressed: r.suppressed === true || r.suppressed === 1,
  };
}
