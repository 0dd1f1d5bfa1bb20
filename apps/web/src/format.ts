import { h } from './dom.js';

/** The states a run shows a badge for. */
export const STATES = ['running', 'finished', 'failed', 'crashed', 'killed', 'preempting', 'preempted'] as const;

/** A state badge; the state is text. */
export function badge(state: string): HTMLElement {
  return h('span', { class: `badge state-${/^[a-z]+$/.test(state) ? state : 'other'}`, 'data-state': state }, state);
}

/** Seconds since the epoch as local date and time. */
export function formatTime(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '';
  const d = new Date(seconds * 1000);
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** A duration in seconds as `1h 02m`, `3m 04s` or `5.2s`. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.floor(seconds);
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  return hh > 0 ? `${hh}h ${String(mm).padStart(2, '0')}m` : `${mm}m ${String(ss).padStart(2, '0')}s`;
}

/** A value for a table cell: numbers compact, objects as JSON (bounded). */
export function formatValue(v: unknown, max = 200): string {
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(4) : String(Number(v.toPrecision(6)));
  }
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

/** A key/value table of leaves. */
export function kvTable(obj: Record<string, unknown>, testId: string, skip: (key: string, value: unknown) => boolean = () => false): HTMLElement {
  const rows = leaves(obj).filter(([k, v]) => !skip(k, v));
  if (rows.length === 0) return h('p', { class: 'muted', 'data-testid': testId }, 'none');
  return h(
    'table',
    { class: 'kv', 'data-testid': testId },
    h('tbody', null, ...rows.slice(0, 2000).map(([k, v]) => h('tr', null, h('th', null, k), h('td', { class: 'v' }, formatValue(v, 500))))),
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
