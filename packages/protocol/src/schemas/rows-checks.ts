import type { RowsMessage } from '../records.js';
import type { Limits } from './limits.js';
import { checkJsonText, checkLeafPath } from './json-checks.js';

/** One consistency failure of a `Rows` record: where (relative to the rows) and what. */
export interface RowsIssue {
  path: (string | number)[];
  message: string;
}

type RowsLimits = Pick<
  Limits,
  'maxRowsPerRecord' | 'maxKeysPerRecord' | 'maxKeyLength' | 'maxValueLength' | 'maxDepth' | 'maxNameLength'
>;

/**
 * Checks that a `Rows` record is consistent (records.proto): per-row columns
 * agree on the row count, the counts add up to the cells, key ids are in
 * range and appear once per row, steps are integral, non-negative and
 * strictly increasing, and JSON cells parse. Returns the first failure, or
 * `undefined`. Runs in one pass over the columns: it is on the hot path of
 * the coordinator.
 */
export function checkRows(rows: RowsMessage, limits: RowsLimits): RowsIssue | undefined {
  const { keys } = rows;
  if (keys.length > limits.maxKeysPerRecord) {
    return { path: ['keys'], message: `holds ${keys.length} keys; at most ${limits.maxKeysPerRecord} are allowed (maxKeysPerRecord)` };
  }
  const seen = new Map<string, number>();
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    if (typeof key !== 'string') return { path: ['keys', k], message: 'must be a string' };
    if (key === '') return { path: ['keys', k], message: 'key must be a non-empty leaf path' };
    if (key === '_step' || key === '_runtime' || key === '_timestamp') {
      return { path: ['keys', k], message: `key ${JSON.stringify(key)} is automatic: it travels as a column, not a cell` };
    }
    const bad = checkLeafPath(key, limits);
    if (bad) return { path: ['keys', k], message: bad };
    const first = seen.get(key);
    if (first !== undefined) {
      return { path: ['keys', k], message: `key ${JSON.stringify(key)} is listed twice (keys[${first}] and keys[${k}])` };
    }
    seen.set(key, k);
  }
  if (rows.label.length > limits.maxNameLength) {
    return { path: ['label'], message: `is ${rows.label.length} characters long; at most ${limits.maxNameLength} are allowed (maxNameLength)` };
  }

  // One timestamp per row sets the row count (every row has `_timestamp`);
  // runtimes and both count columns follow it; steps are empty in shared
  // mode (the server assigns them) or follow it too.
  const n = rows.timestamps.length;
  if (n > limits.maxRowsPerRecord) {
    return { path: [], message: `holds ${n} rows; at most ${limits.maxRowsPerRecord} are allowed (maxRowsPerRecord)` };
  }
  for (const name of ['runtimes', 'numCounts', 'jsonCounts', 'steps'] as const) {
    const len = rows[name].length;
    if (len !== n && !(name === 'steps' && len === 0)) {
      return { path: [name], message: `has ${len} entries but timestamps has ${n}: ${name === 'steps' ? 'expected none (shared mode) or ' : 'expected '}one per row` };
    }
  }

  const { steps, timestamps, runtimes } = rows;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) {
      return { path: ['steps', i], message: `step must be an integer from 0 and up, got ${String(s)}` };
    }
    if (i > 0 && s <= steps[i - 1]!) {
      return { path: ['steps', i], message: `steps must strictly increase within a record, got ${s} after ${steps[i - 1]!}` };
    }
  }
  for (let i = 0; i < timestamps.length; i++) {
    const t = timestamps[i]!;
    if (typeof t !== 'number' || !Number.isFinite(t)) return { path: ['timestamps', i], message: `timestamp must be a finite number, got ${String(t)}` };
  }
  for (let i = 0; i < runtimes.length; i++) {
    const r = runtimes[i]!;
    if (typeof r !== 'number' || !Number.isFinite(r)) return { path: ['runtimes', i], message: `runtime must be a finite number, got ${String(r)}` };
  }

  const { numValues } = rows;
  for (let j = 0; j < numValues.length; j++) {
    if (typeof numValues[j] !== 'number') return { path: ['numValues', j], message: `must be a number, got ${typeof numValues[j]}` };
  }

  const numTotals = checkCounts(rows, 'num');
  if (numTotals) return numTotals;
  const jsonTotals = checkCounts(rows, 'json');
  if (jsonTotals) return jsonTotals;

  // One walk over the rows, numeric cells then JSON cells of each: a key id
  // must be in range and appear once per row (a key may be a number in one
  // row and JSON in another, never both in one). `lastRow` marks which row
  // last used each key id.
  const lastRow = new Int32Array(keys.length).fill(-1);
  const { numCounts, numKeys, jsonCounts, jsonKeys } = rows;
  let nj = 0;
  let jj = 0;
  for (let i = 0; i < n; i++) {
    const numEnd = nj + numCounts[i]!;
    for (; nj < numEnd; nj++) {
      const bad = useKey(rows, numKeys[nj]!, i, lastRow);
      if (bad) return { path: ['numKeys', nj], message: bad };
    }
    const jsonEnd = jj + jsonCounts[i]!;
    for (; jj < jsonEnd; jj++) {
      const bad = useKey(rows, jsonKeys[jj]!, i, lastRow);
      if (bad) return { path: ['jsonKeys', jj], message: bad };
    }
  }

  const { jsonValues } = rows;
  for (let j = 0; j < jsonValues.length; j++) {
    const text = jsonValues[j]!;
    if (typeof text !== 'string') return { path: ['jsonValues', j], message: 'must be a JSON text' };
    const checked = checkJsonText(text, { maxLength: limits.maxValueLength, lengthLimit: 'maxValueLength', maxDepth: limits.maxDepth });
    if (!checked.ok) return { path: ['jsonValues', j], message: `value ${checked.message}` };
  }
  return undefined;
}

function useKey(rows: RowsMessage, id: number, row: number, lastRow: Int32Array): string | undefined {
  if (!Number.isSafeInteger(id) || id < 0 || id >= rows.keys.length) {
    return `key id ${String(id)} is out of range (${rows.keys.length} keys)`;
  }
  if (lastRow[id] === row) return `key ${JSON.stringify(rows.keys[id])} appears twice in row ${row}`;
  lastRow[id] = row;
  return undefined;
}

function checkCounts(rows: RowsMessage, prefix: 'num' | 'json'): RowsIssue | undefined {
  const countsName = prefix === 'num' ? 'numCounts' : 'jsonCounts';
  const keysName = prefix === 'num' ? 'numKeys' : 'jsonKeys';
  const valuesName = prefix === 'num' ? 'numValues' : 'jsonValues';
  const counts = rows[countsName];
  const ids = rows[keysName];
  const valueCount = rows[valuesName].length;
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (!Number.isSafeInteger(c) || c < 0) return { path: [countsName, i], message: `count must be an integer from 0 and up, got ${String(c)}` };
    total += c;
  }
  if (total !== ids.length) {
    return { path: [keysName], message: `holds ${ids.length} cells but ${countsName} adds up to ${total}` };
  }
  if (valueCount !== ids.length) {
    return { path: [valuesName], message: `holds ${valueCount} values but ${keysName} holds ${ids.length} cells` };
  }
  return undefined;
}
