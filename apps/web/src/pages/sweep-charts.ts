import type { AlignedData, Options } from 'uplot';
import { baseOptions, color, mount, type ChartHandle } from '../chart.js';
import { leafAt, leaves } from '../format.js';
import { formatNumber } from '../numbers.js';

/** One trial as the sweep charts read it. */
export interface ChartTrial {
  trialId: string;
  state: string;
  params: Record<string, unknown>;
  metric: number | null;
}

/** Parallel coordinates draw at most this many trials (the latest). */
export const MAX_LINES = 2000;
const SVG_NS = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A vertical axis: where each trial's value sits on it, from 0 (bottom) to 1 (top). */
interface Axis {
  key: string;
  /** The metric's axis (the last), not a parameter's. */
  metric?: true;
  label: string;
  position(v: unknown): number | null;
  ticks: Array<{ at: number; label: string }>;
}

function numericAxis(key: string, label: string, values: number[], log: boolean): Axis {
  const t = (v: number) => (log ? Math.log10(v) : v);
  const lo = Math.min(...values.map(t));
  const hi = Math.max(...values.map(t));
  const span = hi - lo || 1;
  const at = (v: number) => (t(v) - lo) / span;
  const min = Math.min(...values);
  const max = Math.max(...values);
  return {
    key,
    label: log ? `${label} (log)` : label,
    position: (v) => (typeof v === 'number' && Number.isFinite(v) && (!log || v > 0) ? at(v) : null),
    ticks: min === max ? [{ at: 0.5, label: formatNumber(min) }] : [{ at: 0, label: formatNumber(min) }, { at: 1, label: formatNumber(max) }],
  };
}

function categoricalAxis(key: string, label: string, values: unknown[]): Axis {
  const names = [...new Set(values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))))].sort();
  const at = (i: number) => (names.length === 1 ? 0.5 : i / (names.length - 1));
  return {
    key,
    label,
    position: (v) => {
      const i = names.indexOf(typeof v === 'string' ? v : JSON.stringify(v));
      return i < 0 ? null : at(i);
    },
    ticks: names.slice(0, 30).map((name, i) => ({ at: at(i), label: name.length > 16 ? `${name.slice(0, 15)}…` : name })),
  };
}

/** Whether the sweep config searches a parameter on a log scale (a log_ distribution). */
function logScaled(config: Record<string, unknown>, key: string): boolean {
  let node: unknown = { parameters: config['parameters'] };
  for (const part of key.split(/(?<!\\)\./).map((p) => p.replace(/\\\./g, '.'))) {
    const params = (node as { parameters?: Record<string, unknown> } | null)?.parameters;
    if (params === null || typeof params !== 'object') return false;
    node = params[part];
  }
  const d = (node as { distribution?: unknown } | null)?.distribution;
  return typeof d === 'string' && d.includes('log');
}

/** The parameters that vary across trials, then the metric: the axes of the parallel coordinates. */
export function sweepAxes(config: Record<string, unknown>, trials: readonly ChartTrial[], metricName: string): Axis[] {
  const keys = new Set<string>();
  for (const t of trials) for (const [k] of leaves(t.params)) keys.add(k);
  const axes: Axis[] = [];
  for (const key of [...keys].sort()) {
    const values = trials.map((t) => leafAt(t.params, key)).filter((v) => v !== undefined);
    if (new Set(values.map((v) => JSON.stringify(v))).size < 2) continue; // a constant says nothing
    const label = key.replace(/\\\./g, '.');
    if (values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      const nums = values as number[];
      axes.push(numericAxis(key, label, nums, logScaled(config, key) && nums.every((v) => v > 0)));
    } else axes.push(categoricalAxis(key, label, values));
  }
  const metrics = trials.map((t) => t.metric).filter((m): m is number => m !== null && Number.isFinite(m));
  if (metrics.length > 0) axes.push({ ...numericAxis(metricName, metricName, metrics, false), metric: true });
  return axes;
}

/** A metric's colour from bad (orange) to good (blue), by its rank among the trials. */
function shade(rank: number): string {
  const hue = 25 + rank * 195;
  return `hsl(${Math.round(hue)}, 70%, 45%)`;
}

/**
 * Parallel coordinates: an axis per varying parameter (numbers on a linear or, for log_
 * distributions, log scale; other values as evenly spaced categories) and the metric last;
 * a line per trial coloured by its metric (blue is best), the best trial's thickest;
 * trials without a metric grey.
 */
export function parallelCoordinates(config: Record<string, unknown>, trials: readonly ChartTrial[], metricName: string, goal: string, width: number, bestTrialId?: string): SVGSVGElement {
  const shown = trials.slice(-MAX_LINES);
  const axes = sweepAxes(config, shown, metricName);
  const height = 300;
  const top = 36;
  const bottom = 24;
  const side = 60;
  const el = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, 'data-testid': 'parallel', role: 'img', 'aria-label': 'parallel coordinates of the parameters and the metric' });
  if (axes.length === 0) return el;
  const x = (i: number) => (axes.length === 1 ? width / 2 : side + (i * (width - 2 * side)) / (axes.length - 1));
  const y = (p: number) => top + (1 - p) * (height - top - bottom);
  const metrics = shown.map((t) => t.metric).filter((m): m is number => m !== null && Number.isFinite(m)).sort((a, b) => a - b);
  const rankOf = (m: number) => {
    const r = metrics.length < 2 ? 1 : metrics.indexOf(m) / (metrics.length - 1);
    return goal === 'maximize' ? r : 1 - r;
  };
  const lines = svg('g', { fill: 'none' });
  // Worst first, so the best lines are drawn on top; the best trial last and thicker.
  const score = (t: ChartTrial) => (t.trialId === bestTrialId ? 2 : t.metric !== null && Number.isFinite(t.metric) ? rankOf(t.metric) : -1);
  for (const t of [...shown].sort((a, b) => score(a) - score(b))) {
    const points: string[] = [];
    axes.forEach((a, i) => {
      const p = a.metric ? a.position(t.metric) : a.position(leafAt(t.params, a.key));
      if (p !== null) points.push(`${points.length === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(p).toFixed(1)}`);
    });
    if (points.length === 0) continue;
    const has = t.metric !== null && Number.isFinite(t.metric);
    const best = t.trialId === bestTrialId;
    lines.appendChild(
      svg('path', {
        d: points.join(' '),
        class: best ? 'pc-line pc-best' : 'pc-line',
        'data-key': t.trialId,
        'data-state': t.state,
        stroke: has ? shade(rankOf(t.metric!)) : '#adb5bd',
        'stroke-width': best ? 3.5 : 1.5,
        'stroke-opacity': best ? 1 : has ? 0.8 : 0.5,
      }),
    );
  }
  el.appendChild(lines);
  axes.forEach((a, i) => {
    const g = svg('g', { class: a.metric ? 'pc-axis pc-metric' : 'pc-axis', 'data-key': a.label });
    g.appendChild(svg('line', { x1: x(i), x2: x(i), y1: y(0), y2: y(1), stroke: '#5b6475', 'stroke-width': 1 }));
    g.appendChild(svg('text', { x: x(i), y: 16, 'text-anchor': 'middle', 'font-size': 12, 'font-weight': 600, fill: '#1f2430', class: 'pc-label' }, a.label));
    for (const tick of a.ticks) g.appendChild(svg('text', { x: x(i) + 4, y: y(tick.at) + 4, 'font-size': 10, fill: '#5b6475', class: 'pc-tick' }, tick.label));
    el.appendChild(g);
  });
  return el;
}

/** The metric of each trial (in start order) as points, and the best so far as a stepped line. */
export function metricOverTrials(container: HTMLElement, trials: readonly ChartTrial[], metricName: string, goal: string): ChartHandle {
  const x: number[] = [];
  const value: Array<number | null> = [];
  const best: Array<number | null> = [];
  let bestSoFar: number | null = null;
  trials.forEach((t, i) => {
    x.push(i + 1);
    const m = t.metric !== null && Number.isFinite(t.metric) ? t.metric : null;
    value.push(m);
    if (m !== null && (bestSoFar === null || (goal === 'maximize' ? m > bestSoFar : m < bestSoFar))) bestSoFar = m;
    best.push(bestSoFar);
  });
  const options: Options = baseOptions(Math.max(240, container.clientWidth || 480), { xAxis: 'trial', smoothing: 0, logScale: false });
  options.series[0]!.label = 'trial';
  options.series.push(
    { label: metricName, stroke: color(0), width: 0, paths: () => null, points: { show: true, size: 7, fill: color(0) } },
    { label: 'best so far', stroke: color(1), width: 2, points: { show: false } },
  );
  return mount(container, 'sweep:metric', options, [x, value, best] as AlignedData);
}
