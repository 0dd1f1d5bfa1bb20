import { CohortError, describeValue } from '@cohort/protocol';

/**
 * JSON columns read back checked, not cast: a row damaged outside the store
 * (a hand edit, a bad restore) fails the one read that meets it with
 * DATA_LOSS naming the row and the column, instead of handing a wrong shape
 * on to code that trusts it.
 */

/** What a stored JSON column must hold: a name for messages and a test. */
export interface JsonShape<T> {
  readonly expected: string;
  test(value: unknown): value is T;
}

/** A JSON array of strings (tags, aliases). */
export const STRING_ARRAY: JsonShape<string[]> = {
  expected: 'an array of strings',
  test: (v): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string'),
};

/** A JSON array of numbers (progress samples). */
export const NUMBER_ARRAY: JsonShape<number[]> = {
  expected: 'an array of numbers',
  test: (v): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number'),
};

/** A JSON object of numbers (a system sample; a NaN was written as `null` by JSON.stringify and reads back so). */
export const NUMBER_RECORD: JsonShape<Record<string, number>> = {
  expected: 'an object of numbers',
  test: (v): v is Record<string, number> =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'number' || x === null),
};

/**
 * Parses the stored JSON `text` of a column and checks it has `shape`.
 * `where` names the row and the column (`run e/p/r: column tags`).
 * Throws `CohortError` DATA_LOSS otherwise.
 *
 * @example
 * readStoredJson(row.tags, STRING_ARRAY, `run ${row.entity}/${row.project}/${row.run_id}: column tags`);
 */
export function readStoredJson<T>(text: string, shape: JsonShape<T>, where: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CohortError('DATA_LOSS', `${where}: stored text is not JSON (${(err as Error).message}), got ${describeValue(text)}`, { cause: err });
  }
  if (!shape.test(value)) throw new CohortError('DATA_LOSS', `${where}: expected ${shape.expected}, got ${describeValue(text)}`);
  return value;
}
