import { h } from './dom.js';
import { formatKeyed, formatNumber } from './numbers.js';

/** The states a run shows a badge for. */
export const STATES = ['running', 'finished', 'failed', 'crashed', 'killed', 'preempting', 'preempted', 'stopped'] as const;

/** A state badge; the state is text. */
export function badge(state: string): HTMLElement {
  return h('span', { class: `badge state-${/^[a-z]+$/.test(state) ? state : 'other'}`, 'data-state': state }, state);
}

export { formatDuration, formatTime } from './numbers.js';

/** A value for a table cell: numbers by {@link formatNumber}, objects as JSON (bounded). */
export function formatValue(v: unknown, max = 200): string {
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return v.length > max ? `${v.slice(0, max)}…` : v;
  if (v === null || v === undefined) return String(v);
  const text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Leaf paths of a nested object: media descriptors (objects with a string `_type`) are one leaf. */
export function leaves(obj: Record<string, unknown>, prefix = '', out: Array<[string, unknown]> = [], depth = 0): Array<[string, unknown]> {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix === '' ? k.replace(/\./g, '\\.') : `${prefix}.${k.replace(/\./g, '\\.')}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as { _type?: unknown })._type !== 'string' && depth < 16) {
      leaves(v as Record<string, unknown>, key, out, depth + 1);
    } else out.push([key, v]);
  }
  return out;
}

/** True for a media descriptor (`{ _type: 'image', ... }`). */
export function isMedia(v: unknown): v is { _type: string } & Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as { _type?: unknown })._type === 'string';
}

/** A key/value table of leaves; `_timestamp` reads as a date, `_runtime` as a duration. */
export function kvTable(obj: Record<string, unknown>, testId: string, skip: (key: string, value: unknown) => boolean = () => false): HTMLElement {
  const rows = leaves(obj).filter(([k, v]) => !skip(k, v));
  if (rows.length === 0) return h('p', { class: 'muted', 'data-testid': testId }, 'none');
  return h(
    'table',
    { class: 'kv', 'data-testid': testId },
    h('tbody', null, ...rows.slice(0, 2000).map(([k, v]) => h('tr', null, h('th', null, k), h('td', { class: 'v' }, typeof v === 'number' ? formatKeyed(k, v) : formatValue(v, 500))))),
  );
}

/** The value at a leaf path (`a.b`, `a\\.b` for a key holding a dot) of a nested row. */
export function leafAt(row: Record<string, unknown>, path: string): unknown {
  const parts = path.split(/(?<!\\)\./).map((p) => p.replace(/\\\./g, '.'));
  let node: unknown = row;
  for (const p of parts) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[p];
  }
  return node;
}
