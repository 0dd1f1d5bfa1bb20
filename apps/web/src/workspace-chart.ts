import uPlot, { type AlignedData } from 'uplot';
import { baseOptions, mount, positive, xValue, yValue, type ChartHandle, type ChartOptions, type RunLine } from './chart.js';
import { h } from './dom.js';
import { rasterLines } from './raster-plugin.js';
import { smooth } from './smoothing.js';

/**
 * A workspace chart (a line per run, up to hundreds): uPlot without its
 * legend, whose table of a row per run per chart is what made a page of
 * many charts slow to lay out, and without its stroked paths: the lines
 * are rasterized in JavaScript and kept per run (raster-plugin.ts), so
 * toggling a run recomposites the chart instead of stroking every line. Instead one hover panel per chart shows
 * the x under the cursor and every run's value there (uPlot finds the
 * index by binary search). Runs that logged the same x share one x array
 * without a join. Dragging zooms; the page may then swap in the range at
 * full resolution ({@link WorkspaceChartHooks.onZoom}); a double click
 * goes back to the whole range.
 */

/** What the page hears from a chart. */
export interface WorkspaceChartHooks {
  /** The x-range was narrowed by a drag (not by the chart's own data). */
  onZoom?(chart: WorkspaceChart, min: number, max: number): void;
}

/** A workspace chart's handle: a {@link ChartHandle} that can hide lines, take new lines and a zoomed range. */
export interface WorkspaceChart extends ChartHandle {
  /** Shows or hides line `i` (0-based, in the order given) on the canvas; the hover panel follows on {@link syncPanel}. */
  setShown(i: number, shown: boolean): void;
  /** The hover panel's rows shown as their lines are (apart: laying out a panel of a hundred rows costs more than the lines). */
  syncPanel(): void;
  /** Lines of the same runs again (a live refresh, a zoomed range): redrawn without a rebuild. False when the runs differ. */
  update(lines: RunLine[], keepZoom?: boolean): boolean;
  /** True while the x-range is narrowed. */
  zoomed(): boolean;
}

/** Lines as uPlot data: one shared x when every line has the same x values, else uPlot's join. */
export function alignLines(lines: readonly RunLine[], opts: Pick<ChartOptions, 'logScale' | 'smoothing'>): AlignedData {
  if (lines.length === 0) return [[]] as unknown as AlignedData;
  const ys = lines.map((l) => {
    const y = positive(l.y, opts.logScale);
    return (opts.smoothing > 0 ? smooth(y, opts.smoothing) : y) as number[];
  });
  const x0 = lines[0]!.x;
  if (lines.every((l) => sameValues(l.x, x0))) return [x0, ...ys] as AlignedData;
  return uPlot.join(lines.map((l, i) => [l.x, ys[i]!] as AlignedData));
}

function sameValues(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lines up to which the cursor marks each line with a dot. */
const CURSOR_POINTS = 10;

const X_NAMES: Record<string, string> = { _step: 'step', _runtime: 'relative time', _timestamp: 'wall time' };

/** The hover panel: the x under the cursor, then a row per line (its swatch, label and value). */
function hoverPanel(lines: readonly RunLine[], xAxis: string): { el: HTMLElement; rows: HTMLElement[]; x: HTMLElement } {
  const x = h('span', { class: 'value', 'data-testid': 'hover-x' }, '—');
  const rows = lines.map((l) => {
    const sw = h('span', { class: 'swatch' });
    sw.style.background = l.color;
    return h('div', { class: 'ws-hover-row' }, sw, h('span', { class: 'name' }, l.label), h('span', { class: 'value' }, '—'));
  });
  const el = h('div', { class: 'ws-hover', 'data-testid': 'hover' }, h('div', { class: 'ws-hover-row ws-hover-x' }, h('span', { class: 'name' }, X_NAMES[xAxis] ?? xAxis), x), ...rows);
  return { el, rows, x };
}

export function workspaceChart(container: HTMLElement, id: string, lines: RunLine[], opts: ChartOptions, width: number, hooks: WorkspaceChartHooks = {}): WorkspaceChart {
  const options = baseOptions(width, opts);
  options.legend = { show: false };
  // The lines drawn by the plugin, not stroked by uPlot: showing or hiding one redraws from pixels kept.
  options.series.push(...lines.map((l) => ({ label: l.label, stroke: l.color, width: 1, spanGaps: true, points: { show: false } })));
  options.plugins = [rasterLines()];
  const panel = hoverPanel(lines, opts.xAxis);
  const formatX = xValue(opts.xAxis);
  let full: AlignedData = alignLines(lines, opts);
  let swapping = false;
  let zoomedIn = false;
  /** False while a zoomed range's lines are drawn instead of the whole. */
  let showingFull = true;
  let chart: WorkspaceChart | undefined;
  options.hooks = {
    setCursor: [(u) => paint(u)],
    setData: [(u) => paint(u)],
  };
  /** Fills the hover panel: the values at the cursor, or each run's last value off the chart. */
  const paint = (u: uPlot): void => {
    const i = u.cursor.idx;
    // Off the chart: each run's last value.
    panel.x.textContent = i === null || i === undefined ? 'last' : formatX(u, u.data[0][i] ?? null);
    for (let s = 0; s < panel.rows.length; s++) {
      const ys = u.data[s + 1]! as ArrayLike<number | null | undefined>;
      let v = i === null || i === undefined ? null : ys[i];
      if (i === null || i === undefined) for (let j = ys.length - 1; j >= 0 && (v === null || v === undefined); j--) v = ys[j];
      panel.rows[s]!.lastChild!.textContent = yValue(u, v);
    }
  };
  options.hooks.setScale = [
    (u, key) => {
      if (key !== 'x' || swapping || chart === undefined) return;
      const { min, max } = u.scales['x']!;
      const xs = full[0];
      const cur = u.data[0];
      if (min === undefined || max === undefined || xs.length === 0 || cur.length === 0) return;
      // The range of the data drawn (set with it, also after a swap): not a zoom.
      if (min <= cur[0]! && max >= cur[cur.length - 1]!) {
        zoomedIn = !showingFull;
        return;
      }
      zoomedIn = min > xs[0]! || max < xs[xs.length - 1]!;
      if (zoomedIn) hooks.onZoom?.(chart, min, max);
    },
  ];
  options.cursor = {
    drag: { x: true, y: false },
    // A dot per line under the cursor: a few help, a hundred are clutter and a hundred elements per chart to move.
    points: { show: lines.length <= CURSOR_POINTS },
    bind: {
      // A double click: back to the whole range (the data first drawn, not a zoomed range swapped in).
      dblclick: () => () => {
        zoomedIn = false;
        showingFull = true;
        swapping = true;
        base.uplot.setData(full, true);
        swapping = false;
        return null;
      },
    },
  };
  const base = mount(container, id, options, full);
  container.appendChild(panel.el);
  paint(base.uplot);
  let labels = lines.map((l) => l.label);
  chart = {
    ...base,
    setShown(i, shown) {
      if (base.uplot.series[i + 1]?.show !== shown) base.uplot.setSeries(i + 1, { show: shown });
    },
    syncPanel() {
      panel.rows.forEach((row, i) => {
        const hide = base.uplot.series[i + 1]?.show === false;
        if (row.hidden !== hide) row.hidden = hide;
      });
    },
    update(next, keepZoom = false) {
      if (next.length !== labels.length || next.some((l, i) => l.label !== labels[i])) return false;
      const data = alignLines(next, opts);
      swapping = true;
      showingFull = !keepZoom;
      if (keepZoom) base.uplot.setData(data, true);
      else {
        full = data;
        zoomedIn = false;
        base.uplot.setData(data, true);
      }
      swapping = false;
      labels = next.map((l) => l.label);
      return true;
    },
    zoomed: () => zoomedIn,
    destroy() {
      panel.el.remove();
      base.destroy();
    },
  };
  return chart;
}
