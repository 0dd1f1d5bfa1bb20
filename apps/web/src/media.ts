import uPlot from 'uplot';
import { enc, get } from './api.js';
import { barChart, color, drawnAxes } from './chart.js';
import { h } from './dom.js';
import { formatValue } from './format.js';

/**
 * Renders logged media descriptors (`{ _type: 'image', path, sha256, ... }`,
 * made by the SDK's `Image`, `Histogram`, `Table`, `Html`, `Audio`, `Video`
 * and `plot.*`). The bytes are the run file at `path`, read from the run's
 * files route, which sends them with their Content-Type and `nosniff`; a
 * file not uploaded yet shows as such. Table cells are text; HTML media go
 * into an iframe with `sandbox=""` (no scripts, no same-origin, no forms, no
 * navigation), and the server adds `Content-Security-Policy: sandbox`.
 */

type Descriptor = { _type: string } & Record<string, unknown>;

/** The URL of a descriptor's file under the run's API base, or undefined without a valid path. */
function fileUrl(base: string, d: Descriptor): string | undefined {
  const path = d['path'];
  if (typeof path !== 'string' || !path.startsWith('media/') || path.split('/').some((p) => p === '' || p === '.' || p === '..')) return undefined;
  return `${base}/files/${path.split('/').map(enc).join('/')}`;
}

function caption(d: Descriptor): HTMLElement | null {
  return typeof d['caption'] === 'string' && d['caption'] !== '' ? h('figcaption', null, d['caption']) : null;
}

function numbers(v: unknown): number[] {
  return Array.isArray(v) ? v.map((x) => (typeof x === 'number' ? x : Number.NaN)) : [];
}

function missing(what: string): HTMLElement {
  return h('p', { class: 'muted', 'data-testid': 'media-missing' }, what);
}

/** An element showing the file at `src`; replaced by a note when it fails to load (not uploaded yet). */
function loaded<T extends HTMLElement>(el: T, what: string): T {
  el.addEventListener('error', () => el.replaceWith(missing(`${what} not uploaded yet`)), { once: true });
  return el;
}

/** Reads a JSON media file; its failure shows in `fig`. */
function withJson(fig: HTMLElement, url: string | undefined, what: string, draw: (body: Record<string, unknown>) => void): void {
  if (!url) {
    fig.appendChild(missing(`${what} file missing`));
    return;
  }
  get<Record<string, unknown>>(url).then(draw, (err: unknown) => fig.appendChild(missing(`${what} not uploaded yet (${(err as Error).message})`)));
}

/** A `<figure>` for one descriptor of the run at `base` (its API path); an unknown `_type` shows as JSON text. */
export function renderMedia(key: string, d: Descriptor, base: string): HTMLElement {
  const fig = h('figure', { class: `media media-${/^[a-z-]+$/.test(d._type) ? d._type : 'other'}`, 'data-key': key });
  const url = fileUrl(base, d);
  switch (d._type) {
    case 'image':
      fig.appendChild(url ? loaded(h('img', { src: url, alt: typeof d['caption'] === 'string' ? d['caption'] : key }), 'image') : missing('image file missing'));
      break;
    case 'audio':
    case 'video':
      if (!url) fig.appendChild(missing(`${d._type} file missing`));
      else if (d['format'] === 'gif') fig.appendChild(loaded(h('img', { src: url, alt: key }), 'video'));
      else fig.appendChild(loaded(h(d._type, { src: url, controls: true }), d._type));
      break;
    case 'histogram': {
      const draw = (edges: number[], counts: number[]): void => {
        const mids = counts.map((_, i) => ((edges[i] ?? i) + (edges[i + 1] ?? i + 1)) / 2);
        barChart(fig, `media:${key}`, mids, counts, key);
      };
      // A long typed array logs an inline histogram; the SDK's Histogram a file.
      if (d['path'] === undefined) queueMicrotask(() => draw(numbers(d['bins']), numbers(d['values'])));
      else withJson(fig, url, 'histogram', (body) => draw(numbers(body['bins']), numbers(body['values'])));
      break;
    }
    case 'html':
      fig.appendChild(url ? h('iframe', { sandbox: '', src: url, title: key, referrerpolicy: 'no-referrer', width: '100%', height: 240 }) : missing('html file missing'));
      break;
    case 'table': {
      const wrap = h('div', { class: 'media-table' });
      fig.appendChild(wrap);
      withJson(fig, url, 'table', (body) => renderTable(wrap, key, d, body));
      break;
    }
    default:
      fig.appendChild(h('pre', { class: 'v' }, formatValue(d, 2000)));
  }
  const cap = caption(d);
  if (cap) fig.appendChild(cap);
  return fig;
}

/** A table (its file `{ columns, data }`): its plot (when it is a `plot.*`) above the cells as text. */
function renderTable(wrap: HTMLElement, key: string, d: Descriptor, body: Record<string, unknown>): void {
  const columns = Array.isArray(body['columns']) ? body['columns'].map(String) : [];
  const rows = Array.isArray(body['data']) ? ((body['data'] as unknown[]).filter(Array.isArray) as unknown[][]) : [];
  const plot = d['plot'];
  if (plot !== null && typeof plot === 'object') {
    const p = plot as Record<string, unknown>;
    if (typeof p['title'] === 'string') wrap.appendChild(h('div', { class: 'plot-title' }, p['title']));
    queueMicrotask(() => renderPlot(wrap, key, p, columns, rows));
  }
  const table = h(
    'table',
    { class: 'cells' },
    h('thead', null, h('tr', null, ...columns.map((c) => h('th', null, c)))),
    h('tbody', null, ...rows.slice(0, 200).map((r) => h('tr', null, ...r.map((c) => h('td', null, formatValue(c, 300)))))),
  );
  const details = h('details', null, h('summary', null, `${rows.length} rows × ${columns.length} columns`), table);
  if (plot === undefined || plot === null) details.open = true;
  wrap.appendChild(details);
}

function column(rows: unknown[][], columns: string[], name: unknown): number[] {
  const i = columns.indexOf(String(name));
  return i < 0 ? [] : rows.map((r) => (typeof r[i] === 'number' ? (r[i] as number) : Number.NaN));
}

function renderPlot(wrap: HTMLElement, key: string, p: Record<string, unknown>, columns: string[], rows: unknown[][]): void {
  const kind = String(p['kind'] ?? '');
  const holder = h('div', { class: 'plot' });
  wrap.insertBefore(holder, wrap.lastChild);
  if (kind === 'bar' || kind === 'histogram') {
    const labels = rows.map((r) => r[columns.indexOf(String(p['x']))]);
    const y = column(rows, columns, p['y']);
    const x = kind === 'bar' ? labels.map((_, i) => i) : column(rows, columns, p['x']);
    barChart(holder, `media:${key}`, x, y, String(p['y'] ?? 'value'));
    if (kind === 'bar') holder.appendChild(h('div', { class: 'muted small' }, labels.map((l, i) => `${i}: ${formatValue(l, 40)}`).join('  ')));
    return;
  }
  if (kind === 'confusion-matrix') {
    const classes = Array.isArray(p['classes']) ? p['classes'].map(String) : [];
    const counts = new Map<string, number>();
    let max = 1;
    for (const r of rows) {
      const k = `${String(r[0])}\u0000${String(r[1])}`;
      const n = typeof r[2] === 'number' ? r[2] : 0;
      counts.set(k, n);
      max = Math.max(max, n);
    }
    const grid = h('table', { class: 'confusion' }, h('tr', null, h('th', null, 'actual \\ predicted'), ...classes.map((c) => h('th', null, c))));
    for (const a of classes) {
      const tr = h('tr', null, h('th', null, a));
      for (const b of classes) {
        const n = counts.get(`${a}\u0000${b}`) ?? 0;
        const td = h('td', null, n);
        td.style.background = `rgba(47,111,222,${(0.85 * n) / max})`;
        tr.appendChild(td);
      }
      grid.appendChild(tr);
    }
    holder.appendChild(grid);
    return;
  }
  // line, scatter, pr-curve, roc-curve: x/y columns, optionally one line per `series` column value.
  const xs = column(rows, columns, p['x']);
  const ys = column(rows, columns, p['y']);
  const seriesCol = columns.indexOf(String(p['series'] ?? ''));
  const groups = new Map<string, { x: number[]; y: number[] }>();
  rows.forEach((r, i) => {
    const g = seriesCol >= 0 ? String(r[seriesCol]) : String(p['y'] ?? 'y');
    let s = groups.get(g);
    if (!s) groups.set(g, (s = { x: [], y: [] }));
    s.x.push(xs[i]!);
    s.y.push(ys[i]!);
  });
  const tables = [...groups.values()].map((s) => {
    const order = s.x.map((_, i) => i).sort((a, b) => s.x[a]! - s.x[b]!);
    return [order.map((i) => s.x[i]!), order.map((i) => s.y[i]!)] as uPlot.AlignedData;
  });
  if (tables.length === 0) return;
  const scatter = kind === 'scatter';
  const u = new uPlot(
    {
      width: Math.max(240, holder.clientWidth || 360),
      height: 200,
      scales: { x: { time: false } },
      series: [
        { label: String(p['x'] ?? 'x') },
        ...[...groups.keys()].map((g, i) => ({ label: g, stroke: color(i), width: scatter ? 0 : 1.5, spanGaps: true, points: { show: scatter, size: 5, fill: color(i) } })),
      ],
    },
    uPlot.join(tables),
    holder,
  );
  window.__cohort.charts[`media:${key}`] = {
    id: `media:${key}`,
    uplot: u,
    drawn: () => u.data.map((a) => Array.from(a as ArrayLike<number | null>, (v) => v ?? NaN)),
    labels: () => u.series.slice(1).map((s) => String(s.label ?? '')),
    axes: () => drawnAxes(u),
    destroy: () => u.destroy(),
  };
}
