/**
 * A store operation written once for both SQL stores: a generator that yields
 * {@link SqlStep}s and receives their rows. The SQLite store runs it
 * synchronously inside one `db.transaction`; the Postgres store runs it
 * inside one `BEGIN … COMMIT` on one connection. SQL uses `?` placeholders
 * and the subset both dialects share (`ON CONFLICT`, `RETURNING`).
 */
export interface SqlStep {
  readonly sql: string;
  readonly params: readonly unknown[];
  /** Postgres only: `FOR UPDATE` row locks, skipped on SQLite (which serializes writers). */
  readonly pgOnly?: boolean;
}

/** A store operation: yields statements, gets their rows back, returns `T`. */
export type SqlProgram<T> = Generator<SqlStep, T, Array<Record<string, unknown>>>;

/** A statement step. */
export function sql(text: string, ...params: unknown[]): SqlStep {
  return { sql: text, params };
}

/** A statement only Postgres runs (row locks). */
export function pgOnly(text: string, ...params: unknown[]): SqlStep {
  return { sql: text, params, pgOnly: true };
}

/** Rewrites `?` placeholders to Postgres `$1, $2, …` (the SQL here never holds a literal `?`). */
export function toPgPlaceholders(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}
