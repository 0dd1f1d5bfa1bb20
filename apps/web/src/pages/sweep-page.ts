import { enc, get, runHref } from '../api.js';
import type { ChartHandle } from '../chart.js';
import { clear, h } from '../dom.js';
import { badge, formatDuration, formatTime, formatValue, leafAt, leaves } from '../format.js';
import { formatNumber } from '../numbers.js';
import { metricOverTrials, parallelCoordinates, type ChartTrial } from './sweep-charts.js';

/** `GET /api/v1/sweeps/:entity/:project/:id` (docs/http-api.md). */
export interface SweepView {
  id: string;
  entity: string;
  project: string;
  state: string;
  config: Record<string, unknown>;
  createdAt: number;
  bestRunId: string | null;
  metric: { name: string; goal: 'minimize' | 'maximize' };
  importance: Array<{ param: string; importance: number; correlation: number }>;
  trials: Array<ChartTrial & { runId: string; runGroup: string; startedAt: number; endedAt: number | null }>;
}

/** Trials listed in the table at most (the latest). */
const MAX_ROWS = 1000;
/** Parameter columns in the table at most. */
const MAX_PARAM_COLUMNS = 12;

/**
 * `/:entity/:project/sweeps/:sweepId`: what a sweep found. The parallel coordinates of its
 * parameters to the metric, the metric of each trial with the best so far, the parameters'
 * importance (the server's random forest and correlations), and the trials with their
 * states, the best one marked. Refreshes every 5 s while the sweep runs.
 */
export async function sweepPage(root: HTMLElement, entity: string, project: string, id: string, signal: AbortSignal): Promise<void> {
  const head = h('div');
  const parallel = h('div', { class: 'chart-card', 'data-testid': 'sweep-parallel' });
  const metricCard = h('div', { class: 'chart-card', 'data-testid': 'sweep-metric' });
  const importance = h('div', { 'data-testid': 'sweep-importance' });
  const table = h('div', { 'data-testid': 'sweep-trials' });
  root.append(head, h('h2', null, 'Parameters to metric'), parallel, h('h2', null, 'Metric over trials'), metricCard, h('h2', null, 'Parameter importance'), importance, h('h2', null, 'Trials'), table);
  let chart: ChartHandle | undefined;

  const draw = async (): Promise<SweepView> => {
    const s = await get<SweepView>(`/api/v1/sweeps/${enc(entity)}/${enc(project)}/${enc(id)}`);
    if (signal.aborted) return s;
    const trials = [...s.trials].sort((a, b) => a.startedAt - b.startedAt);
    const metricName = s.metric.name || 'metric';
    const best = trials.find((t) => t.runId !== '' && t.runId === s.bestRunId);

    clear(head);
    const name = typeof s.config['name'] === 'string' ? s.config['name'] : '';
    const description = typeof s.config['description'] === 'string' ? s.config['description'] : '';
    head.append(
      h('h1', null, name === '' ? `sweep ${s.id} ` : `${name} `, name === '' ? null : h('span', { class: 'muted small' }, `sweep ${s.id} `), badge(s.state)),
      description === '' ? '' : h('p', { class: 'muted' }, description),
      h(
        'div',
        { class: 'facts' },
        h('span', null, `method ${formatValue(s.config['method'])}`),
        h('span', null, `${s.metric.goal} ${metricName}`),
        h('span', { 'data-testid': 'trial-count' }, `${trials.length} trials`),
        h('span', null, `created ${formatTime(s.createdAt)}`),
        best
          ? h('span', { 'data-testid': 'best' }, 'best ', h('strong', null, best.metric === null ? '' : formatNumber(best.metric)), ' in ', h('a', { href: runHref(entity, project, best.runId), 'data-link': true }, best.runId))
          : h('span', { class: 'muted', 'data-testid': 'best' }, 'no finished trial yet'),
      ),
    );

    clear(parallel);
    parallel.appendChild(parallelCoordinates(s.config, trials, metricName, s.metric.goal, Math.max(480, parallel.clientWidth || root.clientWidth || 960), best?.trialId));

    chart?.destroy();
    clear(metricCard);
    chart = metricOverTrials(metricCard, trials, metricName, s.metric.goal);

    clear(importance);
    importance.appendChild(
      s.importance.length === 0
        ? h('p', { class: 'muted' }, 'Importance needs three finished trials with the metric.')
        : h(
            'table',
            { class: 'grid' },
            h('thead', null, h('tr', null, h('th', null, 'parameter'), h('th', null, 'importance'), h('th', null, 'correlation'))),
            h(
              'tbody',
              null,
              ...s.importance.map((r) =>
                h(
                  'tr',
                  { 'data-testid': 'importance-row', 'data-key': r.param },
                  h('td', null, r.param),
                  h('td', null, h('progress', { max: 1, value: r.importance }), ` ${r.importance.toFixed(2)}`),
                  h('td', { class: r.correlation >= 0 ? 'positive' : 'negative' }, r.correlation.toFixed(2)),
                ),
              ),
            ),
          ),
    );

    const paramKeys = [...new Set(trials.flatMap((t) => leaves(t.params).map(([k]) => k)))].sort().slice(0, MAX_PARAM_COLUMNS);
    const rows = trials.slice(-MAX_ROWS);
    clear(table);
    table.appendChild(
      h(
        'table',
        { class: 'grid' },
        h('thead', null, h('tr', null, ...['trial', 'run', 'state', metricName, ...paramKeys.map((k) => k.replace(/\\\./g, '.')), 'started', 'runtime'].map((c) => h('th', null, c)))),
        h(
          'tbody',
          null,
          ...rows.map((t) =>
            h(
              'tr',
              { 'data-testid': 'trial', 'data-key': t.trialId, 'data-state': t.state, class: t === best ? 'best' : undefined },
              h('td', null, t.trialId, t === best ? h('span', { class: 'badge state-finished', 'data-testid': 'best-badge' }, 'best') : null),
              h('td', null, t.runId === '' ? '' : h('a', { href: runHref(entity, project, t.runId), 'data-link': true }, t.runId)),
              h('td', null, badge(t.state)),
              h('td', { 'data-testid': 'trial-metric' }, t.metric === null ? '' : formatNumber(t.metric)),
              ...paramKeys.map((k) => h('td', null, formatValue(leafAt(t.params, k), 40))),
              h('td', null, formatTime(t.startedAt)),
              h('td', null, formatDuration((t.endedAt ?? Date.now() / 1000) - t.startedAt)),
            ),
          ),
        ),
      ),
    );
    window.__cohort.ready['sweep'] = true;
    return s;
  };

  const first = await draw();
  if (first.state === 'running' || first.state === 'paused') {
    const timer = setInterval(() => void draw().catch(() => undefined), 5000);
    signal.addEventListener('abort', () => clearInterval(timer));
  }
  signal.addEventListener('abort', () => chart?.destroy());
}
