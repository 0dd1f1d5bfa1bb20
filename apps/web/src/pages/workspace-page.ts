import { get, runHref, type RunView, type SeriesData } from '../api.js';
import { color, groupsChart, runsChart, type ChartHandle, type RunLine } from '../chart.js';
import { clear, h } from '../dom.js';
import { formatValue, isMedia, leafAt, leaves } from '../format.js';
import { isHidden, keysByXAxis } from '../metric-defs.js';
import { readWorkspaceView, workspaceSearch, type WorkspaceView } from '../workspace-url.js';
import { sectionOf } from './run-page.js';

/** Buckets per run line: about one per horizontal pixel of a workspace card. */
const BUCKETS = 500;
/** Charts fetched at once. */
const CONCURRENCY = 4;
/** Keys charted at most. */
const MAX_KEYS = 200;

interface RunsSeries {
  xAxis: string;
  /** `x` and `last` of each run (asked with band=0). */
  runs: Record<string, Pick<SeriesData, 'x' | 'last' | 'points' | 'downsampled'>>;
  missing: string[];
}

/**
 * `/:entity/:project/workspace?runs=a,b`: runs compared. One chart per
 * metric with a line per run (each run's colour the same in every chart),
 * the legend showing every run's value at the cursor; x-axis, smoothing,
 * log scale, a key filter, and grouping by run group or a config value (a
 * mean line and min–max band per group). Each chart is one request for all its runs
 * (`GET /api/v1/series/:entity/:project`, docs/http-api.md). The view lives
 * in the URL (workspace-url.ts).
 */
export async function workspacePage(root: HTMLElement, entity: string, project: string, signal: AbortSignal): Promise<void> {
  const view: WorkspaceView = readWorkspaceView(location.search);
  const runsBase = `/api/v1/runs/${encodeURIComponent(entity)}/${encodeURIComponent(project)}`;
  const selected = await selectedRuns(runsBase, view.runs);
  const runColor = new Map(view.runs.map((id, i) => [id, color(i)]));
  const header = h('div');
  const controls = h('div', { class: 'toolbar' });
  const legend = h('div', { class: 'run-legend', 'data-testid': 'workspace-runs' });
  const chartsEl = h('div', { class: 'charts', 'data-testid': 'workspace-charts' });
  root.append(header, controls, legend, chartsEl);
  header.append(
    h('h1', null, `${project} workspace`),
    h('p', { class: 'muted' }, `${selected.length} runs compared · `, h('a', { href: `/${encodeURIComponent(entity)}/${encodeURIComponent(project)}`, 'data-link': true }, 'choose runs in the runs table')),
  );
  for (const r of selected) {
    legend.append(h('span', { class: 'run-chip', 'data-key': r.id, title: r.id }, h('span', { class: 'swatch', 'data-testid': 'swatch' }), h('a', { href: runHref(r.entity, r.project, r.id), 'data-link': true }, r.name || r.id)));
    (legend.lastChild!.firstChild as HTMLElement).style.background = runColor.get(r.id)!;
  }

  const metrics = selected[0]?.metrics ?? [];
  const numeric = new Set<string>();
  for (const r of selected) for (const k of metricKeys(r.summary ?? {})) numeric.add(k);
  const allKeys = [...numeric].filter((k) => !isHidden(k, metrics)).sort().slice(0, MAX_KEYS);

  const xSel = h('select', { 'aria-label': 'x-axis', 'data-testid': 'x-axis' }, ...[['', 'default (step or step metric)'], ['_step', 'step'], ['_runtime', 'relative time (s)'], ['_timestamp', 'wall time'], ...allKeys.map((k) => [k, k])].map(([v, l]) => h('option', { value: v, selected: v === view.xAxis }, l)));
  const smoothIn = h('input', { type: 'range', min: 0, max: 0.99, step: 0.01, value: view.smoothing, 'aria-label': 'smoothing', 'data-testid': 'smoothing' });
  const logIn = h('input', { type: 'checkbox', 'aria-label': 'log scale', 'data-testid': 'log-scale', checked: view.logScale });
  const filterIn = h('input', { type: 'search', placeholder: 'filter charts by key…', value: view.filter, 'aria-label': 'filter charts', 'data-testid': 'chart-filter' });
  const configKeys = [...new Set(selected.flatMap((r) => leaves(r.config ?? {}).map(([k]) => k)))].sort().slice(0, 100);
  const groupSel = h(
    'select',
    { 'aria-label': 'group by', 'data-testid': 'group-by' },
    ...[['', 'no grouping'], ['group', 'run group'], ...configKeys.map((k) => [`config.${k}`, `config ${k}`])].map(([v, l]) => h('option', { value: v, selected: v === view.groupBy }, l)),
  );
  controls.append(h('label', null, 'x-axis ', xSel), h('label', null, 'smoothing ', smoothIn), h('label', null, logIn, ' log scale'), h('label', null, 'group by ', groupSel), filterIn);
  /** The group of a run under `view.groupBy`, as text. */
  const groupOf = (r: RunView): string => {
    if (view.groupBy === 'group') return r.group || '(no group)';
    const v = leafAt(r.config ?? {}, view.groupBy.slice('config.'.length));
    return v === undefined ? '(unset)' : formatValue(v, 60);
  };

  let charts: ChartHandle[] = [];
  let generation = 0;
  const draw = async (): Promise<void> => {
    const mine = ++generation;
    history.replaceState(null, '', `${location.pathname}${workspaceSearch(view)}`);
    for (const c of charts) c.destroy();
    charts = [];
    clear(chartsEl);
    const keys = allKeys.filter((k) => view.filter === '' || k.toLowerCase().includes(view.filter.toLowerCase()));
    if (selected.length === 0) chartsEl.append(h('p', { class: 'muted' }, 'No runs selected: tick runs in the runs table and choose “compare”.'));
    else if (keys.length === 0) chartsEl.append(h('p', { class: 'muted' }, 'No metrics to chart.'));
    const cards = new Map<string, HTMLElement>();
    const sections = new Map<string, HTMLElement>();
    for (const k of keys) {
      const s = sectionOf(k);
      if (!sections.has(s)) {
        const grid = h('div', { class: 'chart-grid' });
        const details = h('details', { class: 'section', 'data-key': s }, h('summary', null, s), grid);
        details.open = true;
        chartsEl.append(details);
        sections.set(s, grid);
      }
      const card = h('div', { class: 'chart-card ws-card', 'data-key': k }, h('div', { class: 'chart-title' }, k));
      sections.get(s)!.append(card);
      cards.set(k, card);
    }
    // One layout for every card's width (all cards of the grid are alike).
    const cardWidth = cards.size > 0 ? [...cards.values()][0]!.clientWidth - 20 : undefined;
    const byX = keysByXAxis(keys, view.xAxis, metrics);
    const jobs = [...byX].flatMap(([x, ks]) => ks.map((k) => [k, x] as const));
    const ids = selected.map((r) => r.id);
    // Groups in order of first run; a group's colour the same in every chart.
    const groupNames = view.groupBy === '' ? [] : [...new Set(selected.map(groupOf))];
    const groupColor = new Map(groupNames.map((g, i) => [g, color(i)]));
    const names = new Map(selected.map((r) => [r.id, r.name || r.id]));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < jobs.length) {
        const [key, xAxis] = jobs[next++]!;
        const result = await get<RunsSeries>(`/api/v1/series/${encodeURIComponent(entity)}/${encodeURIComponent(project)}`, { runs: ids.join(','), key, xAxis, buckets: BUCKETS, band: 0 });
        if (signal.aborted || mine !== generation) return;
        const lineOf = (r: RunView): RunLine | undefined => {
          const s = result.runs[r.id];
          return s && { label: names.get(r.id)!, color: runColor.get(r.id)!, x: s.x, y: s.last };
        };
        const card = cards.get(key)!;
        if (Object.keys(result.runs).length === 0) {
          // A summary-only key (set with run.summary, never logged): no series to draw.
          card.remove();
          continue;
        }
        if (xAxis !== '_step' && view.xAxis === '') card.firstChild!.appendChild(h('span', { class: 'muted small' }, ` vs ${xAxis}`));
        const chartOpts = { xAxis, smoothing: view.smoothing, logScale: view.logScale };
        if (view.groupBy === '') charts.push(runsChart(card, `ws:${key}`, selected.flatMap((r) => lineOf(r) ?? []), chartOpts, cardWidth));
        else {
          const groups = new Map<string, RunLine[]>();
          for (const g of groupNames) groups.set(g, []);
          for (const r of selected) {
            const line = lineOf(r);
            if (line) groups.get(groupOf(r))!.push(line);
          }
          const drawn = [...groups].filter(([, lines]) => lines.length > 0).map(([label, lines]) => ({ label, color: groupColor.get(label)!, lines }));
          charts.push(groupsChart(card, `ws:${key}`, drawn, chartOpts));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, jobs.length) }, worker));
    if (mine === generation && !signal.aborted) window.__cohort.ready['workspace'] = true;
  };

  const redraw = (): void => {
    window.__cohort.ready['workspace'] = false;
    void draw();
  };
  xSel.addEventListener('change', () => {
    view.xAxis = xSel.value;
    redraw();
  });
  smoothIn.addEventListener('change', () => {
    view.smoothing = Number(smoothIn.value);
    redraw();
  });
  logIn.addEventListener('change', () => {
    view.logScale = logIn.checked;
    redraw();
  });
  groupSel.addEventListener('change', () => {
    view.groupBy = groupSel.value;
    redraw();
  });
  filterIn.addEventListener('change', () => {
    view.filter = filterIn.value;
    redraw();
  });
  signal.addEventListener('abort', () => {
    for (const c of charts) c.destroy();
  });
  await draw();
}

/** Names of `defineMetric` summaries: `{ "val/acc": { "max": 0.9 } }` is the metric `val/acc`. */
const AGGREGATES: ReadonlySet<string> = new Set(['min', 'max', 'mean', 'first', 'last', 'best']);

/** The metric keys a run's summary names: numeric leaves not starting with `_`, an aggregate object counted as its metric. */
export function metricKeys(summary: Record<string, unknown>): string[] {
  const out = new Set<string>();
  for (const [k, v] of leaves(summary)) {
    if (typeof v !== 'number' || k.startsWith('_') || isMedia(v)) continue;
    const cut = k.lastIndexOf('.');
    const parent = cut > 0 ? leafAt(summary, k.slice(0, cut)) : undefined;
    const aggregate = parent !== null && typeof parent === 'object' && Object.keys(parent).every((a) => AGGREGATES.has(a));
    out.add(aggregate ? k.slice(0, cut) : k);
  }
  return [...out];
}

/** The selected runs with their summaries (for the keys), configs (for grouping) and definitions, in the order asked. */
async function selectedRuns(base: string, ids: readonly string[]): Promise<RunView[]> {
  if (ids.length === 0) return [];
  const wanted = new Set(ids);
  const found = new Map<string, RunView>();
  let cursor: string | undefined;
  do {
    const page = await get<{ runs: RunView[]; nextCursor?: string }>(base, { fields: 'summary,config', limit: 1000, cursor });
    for (const r of page.runs) if (wanted.has(r.id)) found.set(r.id, r);
    cursor = found.size === wanted.size ? undefined : page.nextCursor;
  } while (cursor !== undefined);
  return ids.flatMap((id) => (found.has(id) ? [found.get(id)!] : []));
}
