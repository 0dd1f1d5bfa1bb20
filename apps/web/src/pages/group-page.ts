import { get, groupBase, runBase, runHref, type GroupHistoryRow, type GroupView, type SeriesResult } from '../api.js';
import { groupChart, type ChartHandle, type RankSeries } from '../chart.js';
import { clear, h } from '../dom.js';
import { badge, formatTime } from '../format.js';
import { sectionOf } from './run-page.js';
import { drawGroupSystem } from './run-system.js';

/** The states a member ends badly in ("who died first"). */
const BAD_ENDS: ReadonlySet<string> = new Set(['crashed', 'failed', 'killed', 'preempted']);

/** A time to the millisecond, so the ranks' last signs of life compare at a glance. */
function clock(seconds: number | null): string {
  if (seconds === null) return '';
  return new Date(seconds * 1000).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3 });
}

/** Ranks drawn per chart at most (the aggregate band covers all of them). */
const MAX_RANK_LINES = 64;

/**
 * `/:entity/:project/groups/:group`: the members (which ranks are alive,
 * crashed or preempted, and when; when each last logged a step and last sent
 * a heartbeat, and which went down first), and per metric every rank's series
 * overlaid with the aggregate mean and its min–max band across ranks
 * (the server's group aggregates), and each rank's system metrics (a line
 * per rank and GPU). Refreshes every 3 s while live.
 */
export async function groupPage(root: HTMLElement, entity: string, project: string, group: string, signal: AbortSignal): Promise<void> {
  const head = h('div');
  const members = h('div');
  const chartsEl = h('div', { class: 'charts', 'data-testid': 'group-charts' });
  const systemEl = h('div', { class: 'charts', 'data-testid': 'system' });
  root.append(head, members, chartsEl, h('h2', null, 'System'), systemEl);
  let charts: ChartHandle[] = [];

  const draw = async (): Promise<GroupView> => {
    const [g, agg] = await Promise.all([get<GroupView>(groupBase(entity, project, group)), get<{ rows: GroupHistoryRow[] }>(`${groupBase(entity, project, group)}/history`)]);
    const shown = g.members.slice(0, MAX_RANK_LINES);
    const perRank = await Promise.all(shown.map((m) => get<SeriesResult>(`${runBase(entity, project, m.runId)}/series`, { buckets: 1000 }).catch(() => ({ series: {} }) as SeriesResult)));
    if (signal.aborted) return g;
    clear(head);
    head.append(
      h('h1', null, `group ${g.group} `, badge(g.state)),
      h('div', { class: 'facts' }, h('span', null, `world size ${g.worldSize}`), h('span', null, `primary rank ${g.primaryRank}`), g.stalledAt !== null ? h('span', null, `stalled since ${formatTime(g.stalledAt)}`) : null),
    );
    clear(members);
    // Who died first: the member that ended badly earliest.
    const died = g.members.filter((m) => m.endedAt !== null && BAD_ENDS.has(m.state)).sort((a, b) => a.endedAt! - b.endedAt!)[0];
    members.appendChild(
      h('table', { class: 'grid', 'data-testid': 'members' },
        h('thead', null, h('tr', null, ...['rank', 'run', 'state', 'node', 'last step', 'steps/s', 'last logged', 'last heartbeat', 'ended', 'restarts'].map((c) => h('th', null, c)))),
        h('tbody', null, ...g.members.map((m) =>
          h('tr', { 'data-testid': 'member', 'data-state': m.state },
            h('td', null, m.rank ?? ''),
            h('td', null, h('a', { href: runHref(entity, project, m.runId), 'data-link': true }, m.name || m.runId)),
            h('td', null, badge(m.state), m.straggler ? h('span', { class: 'badge state-preempting' }, 'straggler') : null),
            h('td', null, m.node),
            h('td', null, m.lastStep ?? ''),
            h('td', null, m.stepRate !== null ? m.stepRate.toFixed(2) : ''),
            h('td', { 'data-testid': 'last-logged' }, clock(m.lastStepAt)),
            h('td', { 'data-testid': 'last-heartbeat' }, clock(m.heartbeatAt)),
            h('td', { 'data-testid': 'ended' }, m.endedAt !== null ? `${m.state} at ${clock(m.endedAt)}` : 'alive', m === died ? ' ' : null, m === died ? h('span', { class: 'badge state-crashed', 'data-testid': 'first-down' }, 'first down') : null),
            h('td', null, m.restartAttempt),
          ),
        )),
      ),
    );
    // Aggregates by key: columns of x, mean, min, max.
    const byKey = new Map<string, { x: number[]; mean: number[]; min: number[]; max: number[] }>();
    for (const row of agg.rows) {
      for (const [k, v] of Object.entries(row)) {
        if (k === '_step' || typeof v !== 'object' || v === null) continue;
        let a = byKey.get(k);
        if (!a) byKey.set(k, (a = { x: [], mean: [], min: [], max: [] }));
        a.x.push(row._step);
        a.mean.push(v.mean);
        a.min.push(v.min);
        a.max.push(v.max);
      }
    }
    for (const c of charts) c.destroy();
    charts = [];
    clear(chartsEl);
    const keys = [...byKey.keys()].filter((k) => !k.startsWith('_')).sort((a, b) => sectionOf(a).localeCompare(sectionOf(b)) || a.localeCompare(b));
    if (keys.length === 0) chartsEl.appendChild(h('p', { class: 'muted' }, 'No aggregated metrics yet.'));
    const grid = h('div', { class: 'chart-grid' });
    chartsEl.appendChild(grid);
    for (const k of keys) {
      const ranks: RankSeries[] = [];
      shown.forEach((m, i) => {
        const s = perRank[i]?.series[k];
        if (s) ranks.push({ label: `rank ${m.rank ?? m.runId}`, x: s.x, y: s.last });
      });
      const card = h('div', { class: 'chart-card', 'data-key': k }, h('div', { class: 'chart-title' }, k, h('span', { class: 'muted small' }, ` · mean of ${ranks.length} ranks, min–max band`)));
      grid.appendChild(card);
      charts.push(groupChart(card, k, byKey.get(k)!, ranks, { xAxis: '_step', smoothing: 0, logScale: false }));
    }
    window.__cohort.ready['group'] = true;
    return g;
  };

  const first = await draw();
  // System metrics of every rank (read once: they are for looking back at who ran hot or out of memory).
  const systemCharts = await drawGroupSystem(systemEl, first.members.slice(0, MAX_RANK_LINES).map((m) => ({ label: `rank ${m.rank ?? m.runId}`, base: runBase(entity, project, m.runId) })));
  window.__cohort.ready['system'] = true;
  if (['running', 'degraded', 'stalled', 'pending'].includes(first.state)) {
    const timer = setInterval(() => void draw().catch(() => undefined), 3000);
    signal.addEventListener('abort', () => clearInterval(timer));
  }
  signal.addEventListener('abort', () => {
    for (const c of [...charts, ...systemCharts]) c.destroy();
  });
}
