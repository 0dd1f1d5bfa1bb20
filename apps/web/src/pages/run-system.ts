import { get } from '../api.js';
import { color, runsChart, type ChartHandle, type RunLine } from '../chart.js';
import { h } from '../dom.js';

/** Samples read per run page (the route's default bound). */
const SAMPLES = 10_000;
/** Keys that are facts, not curves. */
const SKIP: ReadonlySet<string> = new Set(['system/cpu_count']);

export interface SystemSample {
  at: number;
  label: string;
  metrics: Record<string, number>;
}

/** One system chart: a title and its lines (one per GPU, or per process label). */
export interface SystemChart {
  key: string;
  title: string;
  lines: RunLine[];
}

/**
 * The charts of a run's system metrics (`system/...` keys the SDK samples:
 * CPU, memory, and per GPU its utilisation, memory, power and temperature):
 * `system/gpu.<i>.<k>` keys become one chart per `<k>` with a line per GPU;
 * others one chart each. x is seconds since the run started.
 */
export function systemCharts(samples: readonly SystemSample[], startTime: number): SystemChart[] {
  const labels = new Set(samples.map((s) => s.label));
  const charts = new Map<string, { title: string; lines: Map<string, { x: number[]; y: number[] }> }>();
  for (const s of samples) {
    for (const [key, v] of Object.entries(s.metrics)) {
      if (SKIP.has(key) || !Number.isFinite(v)) continue;
      const gpu = /^system\/gpu\.(\d+)\.(.+)$/.exec(key);
      const chartKey = gpu ? `system/gpu.${gpu[2]!}` : key;
      const lineName = `${labels.size > 1 ? `${s.label || 'main'} ` : ''}${gpu ? `gpu ${gpu[1]!}` : key.slice('system/'.length)}`;
      if (!charts.has(chartKey)) charts.set(chartKey, { title: gpu ? `GPU ${titleOf(gpu[2]!)}` : titleOf(key.slice('system/'.length)), lines: new Map() });
      const lines = charts.get(chartKey)!.lines;
      if (!lines.has(lineName)) lines.set(lineName, { x: [], y: [] });
      const line = lines.get(lineName)!;
      line.x.push(s.at - startTime);
      line.y.push(v);
    }
  }
  return [...charts]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([key, c]) => ({ key, title: c.title, lines: [...c.lines].sort((a, b) => a[0].localeCompare(b[0], undefined, { numeric: true })).map(([label, l], i) => ({ label, color: color(i), ...l })) }));
}

/** A key's title with its unit: `memory_used_mib` → `memory used (MiB)`, `temperature_c` → `temperature (°C)`. */
export function titleOf(key: string): string {
  const units: Array<[RegExp, string]> = [[/_percent$/, ' (%)'], [/_mib$/, ' (MiB)'], [/_c$/, ' (°C)'], [/_w$/, ' (W)']];
  for (const [re, unit] of units) if (re.test(key)) return `${key.replace(re, '').replace(/^proc\./, 'process ').replace(/_/g, ' ')}${unit}`;
  return key.replace(/^proc\./, 'process ').replace(/_/g, ' ');
}

/** Reads a run's system samples and draws them into `container`; the handles to destroy on redraw. */
export async function drawSystem(container: HTMLElement, base: string, startTime: number): Promise<ChartHandle[]> {
  const { samples } = await get<{ samples: SystemSample[] }>(`${base}/system`, { limit: SAMPLES });
  const charts = systemCharts(samples, startTime);
  if (charts.length === 0) {
    container.append(h('p', { class: 'muted' }, 'none sampled (settings.systemMetricsSeconds)'));
    return [];
  }
  const grid = h('div', { class: 'chart-grid' });
  container.append(grid);
  return charts.map((c) => {
    const card = h('div', { class: 'chart-card', 'data-key': c.key }, h('div', { class: 'chart-title' }, c.title));
    grid.append(card);
    return runsChart(card, `system:${c.key}`, c.lines, { xAxis: '_runtime', smoothing: 0, logScale: false });
  });
}

/**
 * A group's system metrics: each member's charts merged by key, a line per
 * rank (and GPU), x in seconds since the group's first sample.
 */
export async function drawGroupSystem(container: HTMLElement, members: ReadonlyArray<{ label: string; base: string }>): Promise<ChartHandle[]> {
  const all = await Promise.all(members.map((m) => get<{ samples: SystemSample[] }>(`${m.base}/system`, { limit: SAMPLES }).then((r) => r.samples, () => [] as SystemSample[])));
  const start = Math.min(...all.flatMap((samples) => (samples.length > 0 ? [samples[0]!.at] : [])));
  const merged = new Map<string, SystemChart>();
  all.forEach((samples, i) => {
    for (const c of systemCharts(samples, start)) {
      if (!merged.has(c.key)) merged.set(c.key, { key: c.key, title: c.title, lines: [] });
      merged.get(c.key)!.lines.push(...c.lines.map((l) => ({ ...l, label: `${members[i]!.label} ${l.label}` })));
    }
  });
  if (merged.size === 0) {
    container.append(h('p', { class: 'muted' }, 'none sampled (settings.systemMetricsSeconds)'));
    return [];
  }
  const grid = h('div', { class: 'chart-grid' });
  container.append(grid);
  return [...merged.values()].map((c) => {
    const card = h('div', { class: 'chart-card', 'data-key': c.key }, h('div', { class: 'chart-title' }, c.title));
    grid.append(card);
    return runsChart(card, `system:${c.key}`, c.lines.map((l, i) => ({ ...l, color: color(i) })), { xAxis: '_runtime', smoothing: 0, logScale: false });
  });
}
