import { CohortError } from '@cohort/protocol';

/**
 * The key index of a Postgres run (`runs.history_index`): every history key
 * of the run with its id and the last step of its numeric chunks, plus the
 * next free id. It is written in the same version-guarded UPDATE as the
 * rest of the run's batch, so the index a store read at version v is the
 * run's index at v, and a batch planned on it needs no key lookup at all:
 * known keys get their ids and last steps from it, new keys the next ids
 * (docs/scaled-mode.md, "Keys: an index in the run row").
 *
 * NULL means unknown (runs from before the column, a fork, a rewound run):
 * the batch resolves its keys in `history_keys` and the index is rebuilt.
 * {@link KEY_INDEX_NOT_KEPT} marks a run with more than
 * {@link MAX_INDEXED_KEYS} keys, whose index would cost more to rewrite with
 * each batch than the lookups it saves.
 */
export interface KeyIndex {
  next: number;
  /** key → [id, last numeric step or null when it has no numeric cells]. */
  keys: Map<string, [number, number | null]>;
}

/** A run's index that is not kept (too many keys): its batches always look keys up. */
export const KEY_INDEX_NOT_KEPT = '-';
/** The most keys an index holds; a run with more is {@link KEY_INDEX_NOT_KEPT}. */
export const MAX_INDEXED_KEYS = 2048;
/** The index of a new run (the column's default). */
export const EMPTY_KEY_INDEX = '{"n":0,"k":{}}';

/** The index in a stored text, or undefined when unknown, not kept or unreadable (the lookup path then stands in). */
export function parseKeyIndex(text: string | null | undefined): KeyIndex | undefined {
  if (text === null || text === undefined || text === KEY_INDEX_NOT_KEPT) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { n, k } = raw as { n?: unknown; k?: unknown };
  if (!Number.isSafeInteger(n) || (n as number) < 0 || typeof k !== 'object' || k === null || Array.isArray(k)) return undefined;
  const keys = new Map<string, [number, number | null]>();
  for (const [key, entry] of Object.entries(k)) {
    // Every entry an id below `n` and a last step (or null): one wrong entry and the whole index is not trusted.
    if (!Array.isArray(entry) || entry.length !== 2) return undefined;
    const [id, last] = entry as unknown[];
    if (!Number.isSafeInteger(id) || (id as number) < 0 || (id as number) >= (n as number) || !(last === null || typeof last === 'number')) return undefined;
    keys.set(key, [id as number, last]);
  }
  return { next: n as number, keys };
}

/** The stored text of an index ({@link KEY_INDEX_NOT_KEPT} past {@link MAX_INDEXED_KEYS} keys). */
export function formatKeyIndex(index: KeyIndex): string {
  if (index.keys.size > MAX_INDEXED_KEYS) return KEY_INDEX_NOT_KEPT;
  return JSON.stringify({ n: index.next, k: Object.fromEntries(index.keys) });
}

/** The migration that adds the column: NULL (unknown) for the runs before it, an empty index for new runs. */
export const PG_KEY_INDEX_MIGRATION = {
  version: 61,
  name: 'key index in the run row',
  sql: `ALTER TABLE runs ADD COLUMN history_index TEXT;
ALTER TABLE runs ALTER COLUMN history_index SET DEFAULT '${EMPTY_KEY_INDEX}';`,
};

/** One run's batch planned on its index: the ids of its keys, the keys it adds, and the index after it. */
export interface KeyPlan {
  ids: Map<string, number>;
  added: Array<[key: string, id: number]>;
  text: string;
}

/**
 * Plans one run's batch on the run's index (numeric keys first, then JSON,
 * the order ids are handed out in): known keys keep their ids, new ones get
 * the next; every numeric series must start above its key's last step.
 * Pure: the index given is not changed.
 */
export function planKeys(index: KeyIndex, numeric: ReadonlyMap<string, { steps: Float64Array }>, json: ReadonlyMap<string, unknown>): KeyPlan {
  const keys = new Map(index.keys);
  let next = index.next;
  const ids = new Map<string, number>();
  const added: Array<[string, number]> = [];
  for (const key of new Set([...numeric.keys(), ...json.keys()])) {
    let entry = keys.get(key);
    if (!entry) {
      entry = [next++, null];
      added.push([key, entry[0]]);
    }
    const series = numeric.get(key);
    if (series) {
      const held = entry[1];
      if (held !== null && held >= series.steps[0]!) throw stepsMustIncrease(key, series.steps[0]!, held);
      entry = [entry[0], series.steps[series.steps.length - 1]!];
    }
    keys.set(key, entry);
    ids.set(key, entry[0]);
  }
  return { ids, added, text: formatKeyIndex({ next, keys }) };
}

export function stepsMustIncrease(key: string, step: number, held: number): CohortError {
  return new CohortError('FAILED_PRECONDITION', `history: key "${key}" gets step ${step} but already holds step ${held}; steps must increase`);
}

/** How many runs' index texts a store keeps between reading a run and committing its batch. */
const CACHED_RUNS = 8192;

/**
 * The index texts this store read, by run and version: the engine reads a
 * run, plans its batch and commits it at the version it read, so the commit
 * finds the index of exactly that version here. A miss only costs the
 * lookup path. Bounded: the oldest entry goes first.
 */
export class KeyIndexCache {
  readonly #entries = new Map<number, { version: number; text: string | null }>();

  remember(pk: number, version: number, text: string | null): void {
    this.#entries.delete(pk);
    this.#entries.set(pk, { version, text });
    if (this.#entries.size > CACHED_RUNS) this.#entries.delete(this.#entries.keys().next().value!);
  }

  /** The text of `pk`'s index at `version` (null: unknown or not kept), or undefined when this store did not see that version. */
  at(pk: number, version: number): string | null | undefined {
    const e = this.#entries.get(pk);
    return e && e.version === version ? e.text : undefined;
  }
}
