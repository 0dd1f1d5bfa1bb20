import { get, groupHref, parseJson, runBase, type AlertView, type RunView, type SeriesData, type SeriesResult, type StateEvent } from '../api.js';
import { runChart, type ChartHandle, type ChartOptions } from '../chart.js';
import { clear, h } from '../dom.js';
import { badge, formatDuration, formatTime, isMedia, kvTable, leafAt, leaves } from '../format.js';
import { renderMarkdown } from '../markdown.js';
import { isHidden, keysByXAxis } from '../metric-defs.js';
import { renderMedia } from '../media.js';
import { runAssetPanels } from './run-assets.js';
import { drawSystem } from './run-system.js';

/** Buckets per chart: about one per horizontal pixel. */
const BUCKETS = 1000;
/** The states whose last event says what went wrong (shown in "Why it ended"). */
const ENDED_BADLY: ReadonlySet<string> = new Set(['failed', 'killed', 'crashed', 'preempted']);

/** The section of a metric: the text before its last `/` (`train/loss` → `train`). */
export function sectionOf(key: string): string {
  const i = key.lastIndexOf('/');
  return i <= 0 ? 'charts' : key.slice(0, i);
}

/**
 * `/:entity/:project/runs/:id`: a chart for every numeric metric (by
 * section), media, summary, config, notes (Markdown, sanitized), tags,
 * alerts and the state history. Live: a running run streams changes over
 * SSE and its charts redraw without reload.
 */
export async function runPage(root: HTMLElement, entity: string, project: string, id: string, signal: AbortSignal): Promise<void> {
  const base = runBase(entity, project, id);
  // xAxis '' draws each metric against its default: its `defineMetric` step metric, else `_step`.
  const opts: ChartOptions = { xAxis: '', smoothing: 0, logScale: false };
  const fetchSeries = (xAxis: string, keys?: string[]): Promise<SeriesResult> =>
    get<SeriesResult>(`${base}/series`, { buckets: BUCKETS, xAxis, keys: keys?.join(',') });
  // The series (the slow read) start with the run's fields, not after them.
  let firstSeries: Promise<SeriesResult> | undefined = fetchSeries('_step');
  firstSeries.catch(() => undefined);
  let view = await get<RunView>(base);
  /** Every key's series with the x-axis it is drawn against. */
  const loadSeries = async (): Promise<Map<string, { data: SeriesData; xAxis: string }>> => {
    const all = await (opts.xAxis === '' ? (firstSeries ?? fetchSeries('_step')) : fetchSeries(opts.xAxis));
    firstSeries = undefined;
    const out = new Map(Object.entries(all.series).map(([k, data]) => [k, { data, xAxis: all.xAxis }]));
    if (opts.xAxis !== '') return out;
    const byX = [...keysByXAxis(Object.keys(all.series), '', view.metrics)].filter(([x]) => x !== '_step');
    const extra = await Promise.all(byX.map(([x, keys]) => fetchSeries(x, keys)));
    for (const r of extra) for (const [k, data] of Object.entries(r.series)) out.set(k, { data, xAxis: r.xAxis });
    return out;
  };
  const header = h('div', { class: 'run-header' });
  const controls = h('div', { class: 'toolbar' });
  const chartsEl = h('div', { class: 'charts', 'data-testid': 'charts' });
  const mediaEl = h('div', { class: 'media-list', 'data-testid': 'media' });
  const side = h('div', { class: 'panels' });
  const systemEl = h('div', { class: 'charts', 'data-testid': 'system' });
  root.append(header, controls, chartsEl, h('h2', null, 'System'), systemEl, h('h2', null, 'Media'), mediaEl, side);

  const xSel = h(
    'select',
    { 'aria-label': 'x-axis', 'data-testid': 'x-axis' },
    h('option', { value: '' }, 'default (step or step metric)'),
    h('option', { value: '_step' }, 'step'),
    h('option', { value: '_runtime' }, 'relative time (s)'),
    h('option', { value: '_timestamp' }, 'wall time'),
  );
  const smoothIn = h('input', { type: 'range', min: 0, max: 0.99, step: 0.01, value: 0, 'aria-label': 'smoothing', 'data-testid': 'smoothing' });
  const smoothLabel = h('span', { class: 'muted' }, '0');
  const logIn = h('input', { type: 'checkbox', 'aria-label': 'log scale', 'data-testid': 'log-scale' });
  const hiddenIn = h('input', { type: 'checkbox', 'aria-label': 'show hidden metrics', 'data-testid': 'show-hidden' });
  controls.append(h('label', null, 'x-axis ', xSel), h('label', null, 'smoothing ', smoothIn, ' ', smoothLabel), h('label', null, logIn, ' log scale'), h('label', null, hiddenIn, ' hidden metrics'));

  let charts: ChartHandle[] = [];
  let stepMetricsAdded = false;
  const drawCharts = async (): Promise<void> => {
    const result = await loadSeries();
    if (signal.aborted) return;
    for (const c of charts) c.destroy();
    charts = [];
    clear(chartsEl);
    const media = new Set(leaves(view.summary).filter(([, v]) => isMedia(v)).map(([k]) => k));
    const numeric = [...result.keys()].filter((k) => !media.has(k));
    if (!stepMetricsAdded) {
      stepMetricsAdded = true;
      for (const k of numeric) xSel.appendChild(h('option', { value: k }, k));
    }
    // `defineMetric(k, { hidden: true })`: not charted unless asked.
    const hidden = numeric.filter((k) => isHidden(k, view.metrics));
    const keys = hiddenIn.checked ? numeric : numeric.filter((k) => !isHidden(k, view.metrics));
    if (hidden.length > 0 && !hiddenIn.checked) chartsEl.appendChild(h('p', { class: 'muted small', 'data-testid': 'hidden-metrics' }, `${hidden.length} hidden by defineMetric: ${hidden.slice(0, 20).join(', ')}${hidden.length > 20 ? ', …' : ''}`));
    if (keys.length === 0) chartsEl.appendChild(h('p', { class: 'muted' }, 'No numeric metrics logged yet.'));
    const sections = new Map<string, string[]>();
    for (const k of keys) {
      const s = sectionOf(k);
      if (!sections.has(s)) sections.set(s, []);
      sections.get(s)!.push(k);
    }
    for (const [name, sectionKeys] of [...sections].sort((a, b) => (a[0] === 'charts' ? -1 : b[0] === 'charts' ? 1 : a[0].localeCompare(b[0])))) {
      const grid = h('div', { class: 'chart-grid' });
      chartsEl.append(h('details', { class: 'section', 'data-key': name }, h('summary', null, `${name} (${sectionKeys.length})`), grid));
      (chartsEl.lastChild as HTMLDetailsElement).open = true;
      for (const k of sectionKeys) {
        const { data: s, xAxis } = result.get(k)!;
        const card = h(
          'div',
          { class: 'chart-card', 'data-key': k, 'data-points': s.points },
          h('div', { class: 'chart-title' }, k, xAxis !== '_step' && opts.xAxis === '' ? h('span', { class: 'muted small' }, ` vs ${xAxis}`) : '', s.downsampled ? h('span', { class: 'muted small' }, ` · ${s.points.toLocaleString()} points in ${s.x.length} buckets (min–max band)`) : ''),
        );
        grid.appendChild(card);
        charts.push(runChart(card, k, s, { ...opts, xAxis }));
      }
    }
    window.__cohort.ready['run'] = true;
  };

  const drawSide = async (): Promise<void> => {
    const [alerts, events, assets] = await Promise.all([get<{ alerts: AlertView[] }>(`${base}/alerts`), get<{ events: StateEvent[] }>(`${base}/state-history`), runAssetPanels(base)]);
    clear(side);
    const notes = h('div', { class: 'notes', 'data-testid': 'notes' });
    if (view.notes === '') notes.appendChild(h('p', { class: 'muted' }, 'none'));
    else notes.appendChild(renderMarkdown(view.notes));
    // Why a run ended badly (the exit code, the signal, the uncaught error's stack: docs/sdk.md), first.
    const end = events.events.at(-1);
    if (end !== undefined && end.state === view.state && ENDED_BADLY.has(view.state)) {
      side.append(panel('Why it ended', h('pre', { class: 'failure', 'data-testid': 'run-failure' }, end.detail)));
    }
    side.append(
      panel('Summary', kvTable(view.summary, 'summary', (_k, v) => isMedia(v))),
      panel('Config', kvTable(view.config, 'config')),
      panel('Notes', notes),
      panel('Alerts', alerts.alerts.length === 0 ? h('p', { class: 'muted' }, 'none') : h('ul', { 'data-testid': 'alerts' }, ...alerts.alerts.map((a) => h('li', null, h('span', { class: `badge level-${a.level === 'ERROR' || a.level === 'WARN' ? a.level : 'INFO'}` }, a.level), ' ', h('strong', null, a.title), ` · ${formatTime(a.timestamp)}`, a.suppressed ? ' (suppressed)' : '', h('div', { class: 'muted' }, a.text))))),
      panel('State history', h('ol', { class: 'events', 'data-testid': 'state-history' }, ...events.events.map((e) => h('li', null, badge(e.state), ` ${formatTime(e.at)} `, h('span', { class: 'muted' }, e.detail.split('\n')[0]!))))),
      panel('Files', assets.files),
      panel('Artifacts', assets.artifacts),
      panel('Console output', assets.console),
    );
  };

  const drawHeader = (): void => {
    clear(header);
    header.append(
      h('h1', { 'data-testid': 'run-name' }, view.name || view.id, ' ', badge(view.state)),
      h('div', { class: 'facts' },
        h('span', null, `id ${view.id}`),
        view.group ? h('span', null, 'group ', h('a', { href: groupHref(view.entity, view.project, view.group), 'data-link': true }, view.group)) : null,
        view.rank !== null ? h('span', null, `rank ${view.rank}${view.worldSize !== null ? ` of ${view.worldSize}` : ''}`) : null,
        view.jobType ? h('span', null, `job ${view.jobType}`) : null,
        view.host ? h('span', null, `host ${view.host}`) : null,
        h('span', null, `started ${formatTime(view.startTime)}`),
        h('span', null, `ran ${formatDuration(view.runtime)}`),
        view.lastStep !== null ? h('span', null, `step ${view.lastStep}`) : null,
        view.resumed ? h('span', null, 'resumed') : null,
      ),
      h('div', { class: 'tags', 'data-testid': 'tags' }, ...view.tags.map((t) => h('span', { class: 'tag' }, t))),
    );
  };

  const drawMedia = (): void => {
    clear(mediaEl);
    const media = leaves(view.summary).filter(([, v]) => isMedia(v));
    if (media.length === 0) mediaEl.appendChild(h('p', { class: 'muted' }, 'none logged'));
    for (const [k, v] of media) {
      // The latest value comes with the summary; other steps are read on demand.
      const steps = h('select', { 'aria-label': `step of ${k}`, 'data-testid': 'media-step' }, h('option', { value: '' }, 'latest'));
      let figure = renderMedia(k, v as { _type: string } & Record<string, unknown>, base);
      const card = h('div', { class: 'media-card', 'data-key': k }, h('div', { class: 'chart-title' }, k, ' ', steps), figure);
      let loaded = false;
      const loadSteps = (): void => {
        if (loaded) return;
        loaded = true;
        get<{ rows: Array<Record<string, unknown>> }>(`${base}/history`, { keys: k, samples: 500 }).then(({ rows }) => {
          for (const r of rows) steps.appendChild(h('option', { value: String(r['_step']) }, `step ${String(r['_step'])}`));
        }, () => undefined);
      };
      steps.addEventListener('focus', loadSteps);
      steps.addEventListener('pointerdown', loadSteps);
      steps.addEventListener('change', () => {
        const show = (value: unknown): void => {
          const next = isMedia(value) ? renderMedia(k, value, base) : h('p', { class: 'muted' }, 'nothing logged at that step');
          figure.replaceWith(next);
          figure = next;
        };
        if (steps.value === '') show(v);
        else get<{ rows: Array<Record<string, unknown>> }>(`${base}/history`, { keys: k, minStep: steps.value, maxStep: steps.value }).then(({ rows }) => show(rows[0] && leafAt(rows[0], k)), () => undefined);
      });
      mediaEl.appendChild(card);
    }
  };

  let systemCharts: ChartHandle[] = [];
  const drawSystemCharts = async (): Promise<void> => {
    const next = h('div', { class: 'charts', 'data-testid': 'system' });
    const handles = await drawSystem(next, base, view.startTime);
    for (const c of systemCharts) c.destroy();
    systemCharts = handles;
    systemEl.replaceChildren(...next.childNodes);
    window.__cohort.ready['system'] = true;
  };

  drawHeader();
  drawMedia();
  await Promise.all([drawCharts(), drawSide(), drawSystemCharts()]);

  const redraw = (): void => {
    void drawCharts();
  };
  xSel.addEventListener('change', () => {
    opts.xAxis = xSel.value;
    redraw();
  });
  smoothIn.addEventListener('input', () => {
    opts.smoothing = Number(smoothIn.value);
    smoothLabel.textContent = smoothIn.value;
    redraw();
  });
  logIn.addEventListener('change', () => {
    opts.logScale = logIn.checked;
    redraw();
  });
  hiddenIn.addEventListener('change', redraw);

  // Live: the server pushes `run` (state, summary...) and `history` (new rows) events.
  if (view.state === 'running' || view.state === 'preempting') {
    const live = document.getElementById('live');
    const source = new EventSource(`${base}/stream`);
    let pending: ReturnType<typeof setTimeout> | undefined;
    source.addEventListener('open', () => live && (live.textContent = '● live'));
    const redrawSoon = (): void => {
      pending ??= setTimeout(() => {
        pending = undefined;
        redraw();
      }, 500);
    };
    source.addEventListener('run', (e) => {
      const next = parseJson((e as MessageEvent<string>).data) as RunView;
      // Rows committed between the page's first fetch and the stream's first
      // look arrive as a changed lastStep only, not as a `history` event.
      if (next.lastStep !== view.lastStep) redrawSoon();
      view = next;
      drawHeader();
      drawMedia();
      void drawSide();
      if (view.state !== 'running' && view.state !== 'preempting') {
        if (live) live.textContent = '';
      }
    });
    source.addEventListener('history', redrawSoon);
    signal.addEventListener('abort', () => {
      source.close();
      if (pending) clearTimeout(pending);
      if (live) live.textContent = '';
    });
  }
  signal.addEventListener('abort', () => {
    for (const c of [...charts, ...systemCharts]) c.destroy();
  });
}

function panel(title: string, body: HTMLElement): HTMLElement {
  return h('section', { class: 'panel' }, h('h2', null, title), body);
}
