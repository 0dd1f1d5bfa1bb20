import uPlot, { type AlignedData, type Options } from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { SeriesData } from './api.js';
import { h } from './dom.js';
import { DURATION_INCRS, formatDuration, formatDurationTicks, formatLogTicks, formatNumber, formatTicks, formatTime } from './numbers.js';
import { smooth } from './smoothing.js';

/**
 * Metric charts on uPlot (canvas, built for large time series). A run chart
 * draws the bucketed series the server sends: the last value of each bucket
 * as the line, and its min–max as a band, so spikes stay visible after
 * downsampling. A group chart overlays every rank and the aggregate mean
 * with its min–max band.
 */

/** How a chart reads its x-axis and y-scale. */
export interface ChartOptions {
  /** `_step`, `_runtime`, `_timestamp` (drawn as wall time) or a step metric. */
  xAxis: string;
  /** EMA weight from 0 (none) to 0.99. */
  smoothing: number;
  logScale: boolean;
}

/** What tests and the benchmark read back (`window.__cohort.charts[id]`). */
export interface ChartHandle {
  readonly id: string;
  readonly uplot: uPlot;
  /** The data uPlot drew: `[x, ...series]`. */
  drawn(): number[][];
  /** Labels of the drawn series, after x. */
  labels(): string[];
  /** Per axis (x, then y): the tick labels drawn and the gutter's size in CSS pixels. */
  axes(): Array<{ labels: string[]; size: number; font: string }>;
  destroy(): void;
}

declare global {
  interface Window {
    __cohort: { charts: Record<string, ChartHandle>; ready: Record<string, boolean> };
  }
}
window.__cohort ??= { charts: {}, ready: {} };

const COLORS = ['#2f6fde', '#e8590c', '#2b8a3e', '#c2255c', '#7048e8', '#0b7285', '#a61e4d', '#5c940d', '#d9480f', '#364fc7'];

/** A distinct colour per index: ten picked ones, then hues a golden angle apart (hundreds of runs stay apart). */
export function color(i: number): string {
  if (i < COLORS.length) return COLORS[i]!;
  return `hsl(${Math.round((i * 137.508) % 360)}, ${62 + (i % 3) * 10}%, ${38 + (i % 4) * 6}%)`;
}

export function positive(values: ReadonlyArray<number | null>, log: boolean): Array<number | null> {
  return log ? values.map((v) => (v !== null && v > 0 ? v : null)) : values.slice();
}

/** The axis fields uPlot keeps after a draw: the labels it wrote and the gutter it sized. */
interface DrawnAxis {
  _values?: string[];
  _size?: number;
  font?: [string, number, number] | string;
  ticks?: { size?: number };
  gap?: number;
}

/** A gutter as wide as its longest label (plus ticks and gap), so `165,000` is never clipped to `.65,000`. */
function gutter(self: uPlot, values: string[] | null, axisIdx: number, cycleNum: number): number {
  const axis = self.axes[axisIdx] as unknown as DrawnAxis;
  let size = (axis.ticks?.size ?? 10) + (axis.gap ?? 5) + 4;
  const longest = (values ?? []).reduce((acc, v) => (String(v).length > acc.length ? String(v) : acc), '');
  if (longest !== '') {
    const font = Array.isArray(axis.font) ? axis.font[0] : (axis.font ?? '12px system-ui');
    const key = `${font}\n${longest}`;
    let width = TEXT_WIDTHS.get(key);
    if (width === undefined) {
      // Setting a canvas font parses it: measured once per font and label, not per chart and draw.
      self.ctx.font = font;
      width = self.ctx.measureText(longest).width / (window.devicePixelRatio || 1);
      if (TEXT_WIDTHS.size < 4096) TEXT_WIDTHS.set(key, width);
    }
    size += width;
  }
  // Later layout cycles may write longer labels (`0.10` then `0.100`): a gutter only grows, so the cycles converge.
  return Math.ceil(cycleNum > 1 ? Math.max(size, axis._size ?? 0) : size);
}

/** Widths of axis labels measured, by font and text. */
const TEXT_WIDTHS = new Map<string, number>();

/** Tick labels of a y (or plain numeric x) axis: SI prefixes or scientific as the range needs. */
function numberTicks(self: uPlot, splits: number[], axisIdx: number, _space: number, incr: number): string[] {
  const scale = self.axes[axisIdx]!.scale ?? (axisIdx === 0 ? 'x' : 'y');
  return self.scales[scale]?.distr === 3 ? formatLogTicks(splits) : formatTicks(splits, incr);
}

/** How the x value under the cursor reads in the legend. */
export function xValue(xAxis: string): (self: uPlot, v: number | null) => string {
  if (xAxis === '_timestamp') return (_u, v) => (v === null ? '' : formatTime(v));
  if (xAxis === '_runtime') return (_u, v) => (v === null ? '' : formatDuration(v));
  return (_u, v) => (v === null ? '' : formatNumber(v));
}

/** A y value in the legend: never rounded to `0`. */
export const yValue = (_u: uPlot, v: number | null | undefined): string => (v === null || v === undefined ? '—' : formatNumber(v));

function xAxisOptions(xAxis: string): uPlot.Axis {
  const common = { stroke: '#5b6475', grid: { stroke: '#eceef3' } };
  if (xAxis === '_timestamp') return common; // uPlot's own date and time ticks
  if (xAxis === '_runtime') return { ...common, incrs: DURATION_INCRS, values: (_u, splits) => formatDurationTicks(splits) };
  return { ...common, values: numberTicks };
}

export function baseOptions(width: number, opts: ChartOptions): Options {
  const time = opts.xAxis === '_timestamp';
  return {
    width,
    height: 220,
    scales: { x: { time }, y: opts.logScale ? { distr: 3 } : {} },
    axes: [xAxisOptions(opts.xAxis), { stroke: '#5b6475', grid: { stroke: '#eceef3' }, values: numberTicks, size: gutter }],
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
    series: [{ label: opts.xAxis, value: xValue(opts.xAxis) }],
  };
}

/** What a chart's axes drew (for {@link ChartHandle.axes}). */
export function drawnAxes(u: uPlot): Array<{ labels: string[]; size: number; font: string }> {
  return u.axes.map((a) => {
    const d = a as unknown as DrawnAxis;
    return { labels: (d._values ?? []).map(String), size: d._size ?? 0, font: Array.isArray(d.font) ? d.font[0] : String(d.font ?? '') };
  });
}

export function mount(container: HTMLElement, id: string, options: Options, data: AlignedData): ChartHandle {
  // Every line's hover value reads in full (3e-4, never 0).
  for (const s of options.series.slice(1)) s.value ??= yValue;
  const holder = h('div', { class: 'uplot-holder' });
  container.appendChild(holder);
  const u = new uPlot(options, data, holder);
  const observer = new ResizeObserver(() => {
    const w = Math.max(240, holder.clientWidth);
    if (Math.abs(w - u.width) > 4) u.setSize({ width: w, height: u.height });
  });
  observer.observe(holder);
  const handle: ChartHandle = {
    id,
    uplot: u,
    drawn: () => u.data.map((arr) => Array.from(arr as ArrayLike<number | null>, (v) => (v === null || v === undefined ? NaN : v))),
    labels: () => u.series.slice(1).map((s) => String(s.label ?? '')),
    axes: () => drawnAxes(u),
    destroy() {
      observer.disconnect();
      u.destroy();
      holder.remove();
      if (window.__cohort.charts[id] === handle) delete window.__cohort.charts[id];
    },
  };
  window.__cohort.charts[id] = handle;
  return handle;
}

/** A run's metric: the last value per bucket as the line, min–max as a band when downsampled. */
export function runChart(container: HTMLElement, key: string, data: SeriesData, opts: ChartOptions): ChartHandle {
  const width = Math.max(240, container.clientWidth || 480);
  const options = baseOptions(width, opts);
  const raw = positive(data.last, opts.logScale);
  const line = opts.smoothing > 0 ? smooth(raw, opts.smoothing) : raw;
  const series: AlignedData[number][] = [data.x, line as number[]];
  options.series.push({ label: opts.smoothing > 0 ? `${key} (smoothed)` : key, stroke: color(0), width: 1.5, points: { show: data.x.length < 60 } });
  if (opts.smoothing > 0) {
    series.push(raw as number[]);
    options.series.push({ label: key, stroke: 'rgba(47,111,222,0.3)', width: 1 });
  }
  if (data.downsampled) {
    const maxIdx = series.length;
    series.push(positive(data.max, opts.logScale) as number[], positive(data.min, opts.logScale) as number[]);
    options.series.push({ label: 'max', stroke: 'rgba(47,111,222,0.25)', width: 0.5 }, { label: 'min', stroke: 'rgba(47,111,222,0.25)', width: 0.5 });
    options.bands = [{ series: [maxIdx, maxIdx + 1], fill: 'rgba(47,111,222,0.14)' }];
  }
  return mount(container, key, options, series as AlignedData);
}

/** One series of a group chart. */
export interface RankSeries {
  label: string;
  x: number[];
  y: number[];
}

/** A group's metric: each rank's line, the mean bold, and the min–max band across ranks. */
export function groupChart(
  container: HTMLElement,
  key: string,
  aggregate: { x: number[]; mean: number[]; min: number[]; max: number[] },
  ranks: RankSeries[],
  opts: ChartOptions,
): ChartHandle {
  const width = Math.max(240, container.clientWidth || 480);
  const options = baseOptions(width, opts);
  const tables: AlignedData[] = [
    [aggregate.x, positive(aggregate.mean, opts.logScale) as number[], positive(aggregate.max, opts.logScale) as number[], positive(aggregate.min, opts.logScale) as number[]],
    ...ranks.map((r) => [r.x, (opts.smoothing > 0 ? smooth(positive(r.y, opts.logScale), opts.smoothing) : positive(r.y, opts.logScale)) as number[]] as AlignedData),
  ];
  const joined = uPlot.join(tables);
  options.series.push(
    { label: 'mean', stroke: '#1d2330', width: 2.2, spanGaps: true },
    { label: 'max', stroke: 'rgba(29,35,48,0.25)', width: 0.5, spanGaps: true },
    { label: 'min', stroke: 'rgba(29,35,48,0.25)', width: 0.5, spanGaps: true },
    ...ranks.map((r, i) => ({ label: r.label, stroke: color(i), width: 1, spanGaps: true })),
  );
  options.bands = [{ series: [2, 3], fill: 'rgba(29,35,48,0.10)' }];
  return mount(container, `group:${key}`, options, joined);
}

/** One run's line in a workspace chart. */
export interface RunLine {
  label: string;
  color: string;
  x: number[];
  y: number[];
}

/**
 * A workspace chart: one line per run (its colour the same in every chart),
 * on the x-values of all runs joined; the legend shows every run's value at
 * the cursor, and clicking a run's legend entry hides its line.
 */
export function runsChart(container: HTMLElement, id: string, lines: RunLine[], opts: ChartOptions, knownWidth?: number): ChartHandle {
  // A page of many charts passes the width it measured once: reading it per chart forces a layout per chart.
  const width = Math.max(240, knownWidth ?? (container.clientWidth || 480));
  const options = baseOptions(width, opts);
  const tables = lines.map((l) => {
    const y = positive(l.y, opts.logScale);
    return [l.x, (opts.smoothing > 0 ? smooth(y, opts.smoothing) : y) as number[]] as AlignedData;
  });
  const data = tables.length === 0 ? ([[]] as unknown as AlignedData) : uPlot.join(tables);
  options.series.push(...lines.map((l) => ({ label: l.label, stroke: l.color, width: 1.25, spanGaps: true, points: { show: false } })));
  return mount(container, id, options, data);
}

/** Runs drawn as one group: the mean line and the min–max band across its runs. */
export interface RunGroup {
  label: string;
  color: string;
  lines: RunLine[];
}

/** A colour at opacity `a` (hex `#rrggbb` or `hsl(h, s%, l%)`). */
export function withAlpha(c: string, a: number): string {
  if (/^#[0-9a-f]{6}$/i.test(c)) return `${c}${Math.round(a * 255).toString(16).padStart(2, '0')}`;
  const m = /^hsl\((.*)\)$/.exec(c);
  return m ? `hsla(${m[1]}, ${a})` : c;
}

/**
 * Mean, min and max per x over lines joined on their x-values (a line
 * without a value at an x does not count there).
 */
export function aggregateLines(lines: RunLine[], logScale: boolean, smoothing: number): { x: number[]; mean: Array<number | null>; min: Array<number | null>; max: Array<number | null> } {
  if (lines.length === 0) return { x: [], mean: [], min: [], max: [] };
  const joined = uPlot.join(lines.map((l) => {
    const y = positive(l.y, logScale);
    return [l.x, (smoothing > 0 ? smooth(y, smoothing) : y) as number[]] as AlignedData;
  }));
  const x = Array.from(joined[0] as ArrayLike<number>);
  const mean: Array<number | null> = new Array(x.length);
  const min: Array<number | null> = new Array(x.length);
  const max: Array<number | null> = new Array(x.length);
  for (let i = 0; i < x.length; i++) {
    let sum = 0;
    let n = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = 1; j < joined.length; j++) {
      const v = (joined[j] as ArrayLike<number | null | undefined>)[i];
      if (v === null || v === undefined || !Number.isFinite(v)) continue;
      sum += v;
      n++;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    mean[i] = n > 0 ? sum / n : null;
    min[i] = n > 0 ? lo : null;
    max[i] = n > 0 ? hi : null;
  }
  return { x, mean, min, max };
}

/** A grouped workspace chart: per group its mean line (bold) and the min–max band across its runs. */
export function groupsChart(container: HTMLElement, id: string, groups: RunGroup[], opts: ChartOptions): ChartHandle {
  const width = Math.max(240, container.clientWidth || 480);
  const options = baseOptions(width, opts);
  const aggs = groups.map((g) => aggregateLines(g.lines, opts.logScale, opts.smoothing));
  const data = aggs.length === 0 ? ([[]] as unknown as AlignedData) : uPlot.join(aggs.map((a) => [a.x, a.mean, a.max, a.min] as AlignedData));
  options.bands = [];
  groups.forEach((g, i) => {
    options.series.push(
      { label: `${g.label} mean (${g.lines.length})`, stroke: g.color, width: 2, spanGaps: true, points: { show: false } },
      { label: `${g.label} max`, stroke: withAlpha(g.color, 0.35), width: 0.5, spanGaps: true, points: { show: false } },
      { label: `${g.label} min`, stroke: withAlpha(g.color, 0.35), width: 0.5, spanGaps: true, points: { show: false } },
    );
    options.bands!.push({ series: [2 + i * 3, 3 + i * 3], fill: withAlpha(g.color, 0.14) });
  });
  return mount(container, id, options, data);
}

/** Bars of a histogram (`bins` edges, `values` counts) or a bar plot, drawn on uPlot's bar paths. */
export function barChart(container: HTMLElement, id: string, x: number[], y: number[], label: string): ChartHandle {
  const width = Math.max(240, container.clientWidth || 360);
  const options: Options = {
    width,
    height: 180,
    scales: { x: { time: false } },
    axes: [{ stroke: '#5b6475', values: numberTicks }, { stroke: '#5b6475', values: numberTicks, size: gutter }],
    series: [{ label: 'x' }, { label, fill: 'rgba(47,111,222,0.5)', stroke: color(0), paths: uPlot.paths.bars!({ size: [0.9, 64] }), points: { show: false } }],
    legend: { live: true },
  };
  return mount(container, id, options, [x, y]);
}
