import { get, runHref, type RunView, type SeriesData } from '../api.js';
import { color, groupsChart, type ChartHandle, type RunLine } from '../chart.js';
import { clear, h } from '../dom.js';
import { formatValue, isMedia, leafAt, leaves } from '../format.js';
import { isHidden, keysByXAxis } from '../metric-defs.js';
import { workspaceChart, type WorkspaceChart } from '../workspace-chart.js';
import { readWorkspaceView, workspaceSearch, type WorkspaceView } from '../workspace-url.js';
import { sectionOf } from './run-page.js';

/** Charts fetched at once. */
const CONCURRENCY = 4;
/** Keys charted at most. */
const MAX_KEYS = 200;
/** Milliseconds of redrawing charts after a toggle before the page paints. */
const FRAME_MS = 8;
/** Seconds between refreshes while a selected run is live. */
const LIVE_SECONDS = 5;

interface RunsSeries {
  xAxis: string;
  /** `x` and `last` of each run (asked with band=0). */
  runs: Record<string, Pick<SeriesData, 'x' | 'last' | 'points' | 'downsampled'>>;
  missing: string[];
}

const isLive = (r: RunView): boolean => r.state === 'running' || r.state === 'preempting';
const liveText = (running: number): string => (running > 0 ? ` · ● live (${running} running)` : '');

/**
 * `/:entity/:project/workspace?runs=a,b`: runs compared. One chart per
 * metric with a line per run (each run's colour the same in every chart),
 * a hover panel with every run's value at the cursor; x-axis, smoothing,
 * log scale, a key filter, grouping by run group or a config value (a mean
 * line and min–max band per group), and runs toggled off by their chip.
 * Each chart is one request for all its runs (`GET
 * /api/v1/series/:entity/:project`, docs/http-api.md), bucketed on the
 * server to about a bucket per pixel column; a drag-zoom asks for the range
 * again at full resolution. Series are kept between interactions, so only
 * a new x-axis fetches again; while a selected run is live its series are
 * fetched again every few seconds. The view lives in the URL (workspace-url.ts).
 */
export async function workspacePage(root: HTMLElement, entity: string, project: string, signal: AbortSignal): Promise<void> {
  const view: WorkspaceView = readWorkspaceView(location.search);
  const runsBase = `/api/v1/runs/${encodeURIComponent(entity)}/${encodeURIComponent(project)}`;
  const seriesPath = `/api/v1/series/${encodeURIComponent(entity)}/${encodeURIComponent(project)}`;
  let selected = await selectedRuns(runsBase, view.runs);
  const runColor = new Map(view.runs.map((id, i) => [id, color(i)]));
  const hidden = new Set(view.hidden);
  const header = h('div');
  const controls = h('div', { class: 'toolbar' });
  const legend = h('div', { class: 'run-legend', 'data-testid': 'workspace-runs' });
  const chartsEl = h('div', { class: 'charts', 'data-testid': 'workspace-charts' });
  root.append(header, controls, legend, chartsEl);
  header.append(
    h('h1', null, `${project} workspace`),
    h('p', { class: 'muted' }, `${selected.length} runs compared · `, h('a', { href: `/${encodeURIComponent(entity)}/${encodeURIComponent(project)}`, 'data-link': true }, 'choose runs in the runs table'), h('span', { 'data-testid': 'live' })),
  );
  for (const r of selected) {
    const toggle = h('button', { type: 'button', class: 'swatch', 'data-testid': 'toggle-run', title: `show or hide ${r.name || r.id}`, 'aria-label': `show or hide ${r.name || r.id}` });
    toggle.style.background = runColor.get(r.id)!;
    const chip = h('span', { class: 'run-chip', 'data-key': r.id, 'data-state': hidden.has(r.id) ? 'hidden' : 'shown', title: r.id }, toggle, h('a', { href: runHref(r.entity, r.project, r.id), 'data-link': true }, r.name || r.id));
    toggle.addEventListener('click', () => {
      if (hidden.has(r.id)) hidden.delete(r.id);
      else hidden.add(r.id);
      chip.dataset['state'] = hidden.has(r.id) ? 'hidden' : 'shown';
      view.hidden = view.runs.filter((id) => hidden.has(id));
      saveView();
      if (view.groupBy !== '') redraw();
      else toggleInView();
    });
    legend.append(chip);
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
  const saveView = (): void => history.replaceState(null, '', `${location.pathname}${workspaceSearch(view)}`);

  /** Each chart's series by `xAxis` and key, kept between redraws (a new x-axis asks again). */
  const cache = new Map<string, RunsSeries>();
  const cacheKey = (xAxis: string, key: string): string => `${xAxis}\n${key}`;
  /** Buckets per line: about one per pixel column of a card. */
  let buckets = 500;
  const fetchSeries = (key: string, xAxis: string, runs: readonly string[], range?: { minStep: number; maxStep: number }): Promise<RunsSeries> =>
    get<RunsSeries>(seriesPath, { runs: runs.join(','), key, xAxis, buckets, band: 0, ...range });

  interface Drawn {
    handle: ChartHandle;
    /** Shows and hides runs' lines as toggled, redrawn at once (a chart of lines; a grouped chart is drawn again instead). */
    syncHidden(): void;
    /** The hover panel's rows as the lines are shown. */
    syncPanel(): void;
    /** Draws the key's series again from the cache (a live refresh); false when the lines differ. */
    refresh(): boolean;
  }
  const charts = new Map<string, Drawn>();
  const names = (): Map<string, string> => new Map(selected.map((r) => [r.id, r.name || r.id]));
  const linesOf = (series: RunsSeries, runs: readonly RunView[]): RunLine[] => {
    const label = names();
    return runs.flatMap((r) => {
      const s = series.runs[r.id];
      return s ? [{ label: label.get(r.id)!, color: runColor.get(r.id)!, x: s.x, y: s.last }] : [];
    });
  };

  /** Draws one key's chart into its card from the cache. */
  const drawChart = (card: HTMLElement, key: string, xAxis: string, width: number): void => {
    const series = cache.get(cacheKey(xAxis, key))!;
    const chartOpts = { xAxis, smoothing: view.smoothing, logScale: view.logScale };
    const id = `ws:${key}`;
    if (view.groupBy !== '') {
      const groupNames = [...new Set(selected.map(groupOf))];
      const groupColor = new Map(groupNames.map((g, i) => [g, color(i)]));
      const groups = new Map<string, RunLine[]>(groupNames.map((g) => [g, []]));
      for (const r of selected) if (!hidden.has(r.id)) groups.get(groupOf(r))!.push(...linesOf(series, [r]));
      const drawn = [...groups].filter(([, lines]) => lines.length > 0).map(([label, lines]) => ({ label, color: groupColor.get(label)!, lines }));
      charts.set(key, { handle: groupsChart(card, id, drawn, chartOpts), syncHidden: () => undefined, syncPanel: () => undefined, refresh: () => false });
      return;
    }
    const runs = selected.filter((r) => series.runs[r.id] !== undefined);
    const chart: WorkspaceChart = workspaceChart(card, id, linesOf(series, runs), chartOpts, width, {
      onZoom: (c, min, max) => void zoomIn(c, key, xAxis, runs, series, min, max),
    });
    const syncHidden = (): void => {
      // In one batch: the chart redrawn once, before this returns.
      if (runs.some((r, i) => chart.uplot.series[i + 1]!.show === hidden.has(r.id))) chart.uplot.batch(() => runs.forEach((r, i) => chart.setShown(i, !hidden.has(r.id))));
    };
    syncHidden();
    chart.syncPanel();
    charts.set(key, {
      handle: chart,
      syncHidden,
      syncPanel: () => chart.syncPanel(),
      refresh: () => chart.zoomed() || chart.update(linesOf(cache.get(cacheKey(xAxis, key))!, runs)),
    });
  };

  /** A drag-zoom on a chart of steps whose lines were bucketed: the range again, at full resolution. */
  const zoomIn = async (c: WorkspaceChart, key: string, xAxis: string, runs: readonly RunView[], series: RunsSeries, min: number, max: number): Promise<void> => {
    window.__cohort.ready[`zoom:${c.id}`] = false;
    const bucketed = runs.some((r) => series.runs[r.id]?.downsampled === true);
    try {
      if (xAxis === '_step' && bucketed) {
        const range = { minStep: Math.max(0, Math.floor(min)), maxStep: Math.max(0, Math.ceil(max)) };
        const zoomed = await fetchSeries(key, xAxis, runs.map((r) => r.id), range);
        if (!signal.aborted && c.zoomed()) c.update(linesOf(zoomed, runs), true);
      }
    } finally {
      window.__cohort.ready[`zoom:${c.id}`] = true;
    }
  };

  /** Keys of the cards in view: a toggle redraws those at once, the others when they come into view. */
  const inView = new Set<string>();
  const viewport = new IntersectionObserver((entries) => {
    for (const e of entries) {
      const key = (e.target as HTMLElement).dataset['key']!;
      if (!e.isIntersecting) inView.delete(key);
      else {
        inView.add(key);
        charts.get(key)?.syncHidden();
        charts.get(key)?.syncPanel();
      }
    }
  });

  /**
   * A toggle redraws the lines of the charts in view (each a composite of the
   * lines it keeps, about a millisecond) until a frame's worth of work is
   * spent, the rest on the next frames, so the page paints at once even when
   * a new y-range has every line rasterized again; their hover panels
   * follow a frame later. The charts out of view follow as they scroll in.
   * `ready.toggle` once all in view are.
   */
  let toggleLines: string[] = [];
  const togglePanels = new Set<string>();
  let toggling = false;
  const toggleStep = (): void => {
    if (toggleLines.length === 0) {
      for (const key of togglePanels) charts.get(key)?.syncPanel();
      togglePanels.clear();
      toggling = false;
      window.__cohort.ready['toggle'] = true;
      return;
    }
    const start = performance.now();
    while (toggleLines.length > 0 && performance.now() - start < FRAME_MS) charts.get(toggleLines.shift()!)?.syncHidden();
    // After the next paint (a frame, then a task).
    requestAnimationFrame(() => setTimeout(toggleStep, 0));
  };
  const toggleInView = (): void => {
    window.__cohort.ready['toggle'] = false;
    toggleLines = [...inView];
    for (const key of inView) togglePanels.add(key);
    if (!toggling) {
      toggling = true;
      toggleStep();
    }
  };

  let generation = 0;
  const draw = async (): Promise<void> => {
    const mine = ++generation;
    saveView();
    for (const c of charts.values()) c.handle.destroy();
    charts.clear();
    viewport.disconnect();
    inView.clear();
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
      viewport.observe(card);
    }
    // One layout for every card's width (all cards of the grid are alike): a bucket per pixel column.
    const cardWidth = cards.size > 0 ? Math.max(240, [...cards.values()][0]!.clientWidth - 20) : 480;
    buckets = Math.min(1000, Math.max(100, Math.round(cardWidth)));
    const byX = keysByXAxis(keys, view.xAxis, metrics);
    const jobs = [...byX].flatMap(([x, ks]) => ks.map((k) => [k, x] as const));
    const ids = selected.map((r) => r.id);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < jobs.length) {
        const [key, xAxis] = jobs[next++]!;
        if (!cache.has(cacheKey(xAxis, key))) {
          const result = await fetchSeries(key, xAxis, ids);
          if (signal.aborted || mine !== generation) return;
          cache.set(cacheKey(xAxis, key), result);
        }
        const card = cards.get(key)!;
        if (Object.keys(cache.get(cacheKey(xAxis, key))!.runs).length === 0) {
          // A summary-only key (set with run.summary, never logged): no series to draw.
          card.remove();
          continue;
        }
        if (xAxis !== '_step' && view.xAxis === '') card.firstChild!.appendChild(h('span', { class: 'muted small' }, ` vs ${xAxis}`));
        drawChart(card, key, xAxis, cardWidth);
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

  // Live: while a selected run is running, its series (only the live runs') are fetched again and the charts redrawn in place.
  const liveEl = header.querySelector<HTMLElement>('[data-testid=live]')!;
  let refreshing = false;
  const refresh = async (): Promise<void> => {
    const live = selected.filter(isLive).map((r) => r.id);
    liveEl.textContent = liveText(live.length);
    if (live.length === 0 || refreshing) return;
    refreshing = true;
    try {
      selected = await selectedRuns(runsBase, view.runs);
      const mine = generation;
      for (const [k, s] of [...cache]) {
        const [xAxis, key] = [k.slice(0, k.indexOf('\n')), k.slice(k.indexOf('\n') + 1)];
        const fresh = await fetchSeries(key, xAxis, live);
        if (signal.aborted || mine !== generation) return;
        cache.set(k, { ...s, runs: { ...s.runs, ...fresh.runs } });
      }
      let rebuild = false;
      for (const c of charts.values()) if (!c.refresh()) rebuild = true;
      if (rebuild) redraw();
      window.__cohort.ready['workspace-refreshed'] = true;
    } finally {
      refreshing = false;
      liveEl.textContent = liveText(selected.filter(isLive).length);
    }
  };
  const timer = setInterval(() => void refresh().catch(() => undefined), LIVE_SECONDS * 1000);
  signal.addEventListener('abort', () => {
    clearInterval(timer);
    viewport.disconnect();
    for (const c of charts.values()) c.handle.destroy();
  });
  await draw();
  liveEl.textContent = liveText(selected.filter(isLive).length);
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
