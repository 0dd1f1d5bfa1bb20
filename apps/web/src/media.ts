import uPlot from 'uplot';
import { barChart, color } from './chart.js';
import { h } from './dom.js';
import { formatValue } from './format.js';

/**
 * Renders logged media descriptors (`{ _type: 'image', ... }`, made by the
 * SDK's `Image`, `Histogram`, `Table`, `Html`, `Audio`, `Video` and `plot.*`).
 * Payloads are inline base64 (data URLs of an allowed media type only);
 * table cells are text; HTML media go into an iframe with `sandbox=""` (no
 * scripts, no same-origin, no forms, no navigation) via `srcdoc`.
 */

type Descriptor = { _type: string } & Record<string, unknown>;

const MIME: Record<string, Record<string, string>> = {
  image: { png: 'image/png', jpeg: 'image/jpeg', jpg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', bmp: 'image/bmp' },
  audio: { wav: 'audio/wav', mp3: 'audio/mpeg', ogg: 'audio/ogg', flac: 'audio/flac', webm: 'audio/webm' },
  video: { mp4: 'video/mp4', webm: 'video/webm', ogg: 'video/ogg', gif: 'image/gif' },
};

function dataUrl(kind: 'image' | 'audio' | 'video', d: Descriptor): string | undefined {
  const format = typeof d['format'] === 'string' ? d['format'].toLowerCase() : '';
  const mime = MIME[kind]![format];
  const data = d['data'];
  if (!mime || typeof data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(data)) return undefined;
  return `data:${mime};base64,${data}`;
}

function caption(d: Descriptor): HTMLElement | null {
  return typeof d['caption'] === 'string' && d['caption'] !== '' ? h('figcaption', null, d['caption']) : null;
}

function numbers(v: unknown): number[] {
  return Array.isArray(v) ? v.map((x) => (typeof x === 'number' ? x : Number.NaN)) : [];
}

/** A `<figure>` for one descriptor; an unknown `_type` shows as JSON text. */
export function renderMedia(key: string, d: Descriptor): HTMLElement {
  const fig = h('figure', { class: `media media-${/^[a-z-]+$/.test(d._type) ? d._type : 'other'}`, 'data-key': key });
  switch (d._type) {
    case 'image': {
      const src = dataUrl('image', d);
      fig.appendChild(src ? h('img', { src, alt: typeof d['caption'] === 'string' ? d['caption'] : key, loading: 'lazy' }) : h('p', { class: 'muted' }, 'image data missing or of an unknown format'));
      break;
    }
    case 'audio':
    case 'video': {
      const src = dataUrl(d._type, d);
      if (!src) fig.appendChild(h('p', { class: 'muted' }, `${d._type} data missing or of an unknown format`));
      else if (src.startsWith('data:image/')) fig.appendChild(h('img', { src, alt: key }));
      else fig.appendChild(h(d._type, { src, controls: true }));
      break;
    }
    case 'histogram': {
      const edges = numbers(d['bins']);
      const counts = numbers(d['values']);
      const mids = counts.map((_, i) => ((edges[i] ?? i) + (edges[i + 1] ?? i + 1)) / 2);
      queueMicrotask(() => barChart(fig, `media:${key}`, mids, counts, key));
      break;
    }
    case 'html': {
      const html = typeof d['html'] === 'string' ? d['html'] : '';
      fig.appendChild(h('iframe', { sandbox: '', srcdoc: html, title: key, referrerpolicy: 'no-referrer', width: '100%', height: 240 }));
      break;
    }
    case 'table':
      fig.appendChild(renderTable(key, d));
      break;
    default:
      fig.appendChild(h('pre', { class: 'v' }, formatValue(d, 2000)));
  }
  const cap = caption(d);
  if (cap) fig.appendChild(cap);
  return fig;
}

/** A table descriptor: its plot (when it is a `plot.*`) above the cells as text. */
function renderTable(key: string, d: Descriptor): HTMLElement {
  const columns = Array.isArray(d['columns']) ? d['columns'].map(String) : [];
  const rows = Array.isArray(d['data']) ? (d['data'] as unknown[]).filter(Array.isArray) as unknown[][] : [];
  const wrap = h('div', { class: 'media-table' });
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
  return wrap;
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
    destroy: () => u.destroy(),
  };
}
