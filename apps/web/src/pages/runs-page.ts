import { get, groupHref, runHref, type RunView } from '../api.js';
import { clear, h } from '../dom.js';
import { STATES, badge, formatDuration, formatTime, formatValue, isMedia, leafAt, leaves } from '../format.js';
import { formatKeyed } from '../numbers.js';
import { MAX_WORKSPACE_RUNS, workspaceHref } from '../workspace-url.js';

/**
 * `/:entity/:project`: the runs table. Filter by state, search (name, id,
 * group, tags, job type), sort by any column, choose summary and config
 * columns (`config.lr`), tick runs to compare in the workspace, and see
 * training groups as grouped rows (a group row, then its ranks).
 * Refreshes every 5 s while a run is live.
 */
export async function runsPage(root: HTMLElement, entity: string, project: string, signal: AbortSignal): Promise<void> {
  const base = `/api/v1/runs/${encodeURIComponent(entity)}/${encodeURIComponent(project)}`;
  let runs = await allRuns(base);
  const params = new URLSearchParams(location.search);
  const state = {
    search: params.get('q') ?? '',
    stateFilter: params.get('state') ?? '',
    sort: params.get('sort') ?? 'startTime',
    desc: params.get('asc') !== '1',
    grouped: params.get('flat') !== '1',
    columns: params.has('cols') ? params.get('cols')!.split(',').filter((c) => c !== '').slice(0, 20) : defaultColumns(runs),
  };
  /** Runs ticked for the workspace, in tick order (their colours there). */
  const picked: string[] = (params.get('sel') ?? '').split(',').filter((id) => id !== '').slice(0, MAX_WORKSPACE_RUNS);

  const search = h('input', { type: 'search', placeholder: 'search name, id, group, tag…', value: state.search, 'aria-label': 'search runs', 'data-testid': 'search' });
  const stateSel = h('select', { 'aria-label': 'state filter', 'data-testid': 'state-filter' }, h('option', { value: '' }, 'all states'), ...STATES.map((s) => h('option', { value: s, selected: s === state.stateFilter }, s)));
  const grouped = h('input', { type: 'checkbox', checked: state.grouped, 'data-testid': 'grouped' });
  const compare = h('a', { class: 'button', 'data-link': true, 'data-testid': 'compare' });
  const cols = h('input', { type: 'text', value: state.columns.join(', '), placeholder: 'columns: summary keys, config.<key>, comma-separated', 'aria-label': 'summary columns', 'data-testid': 'columns' });
  const table = h('div', { class: 'table-wrap' });
  root.append(
    h('h1', null, project, ' ', h('a', { href: `/${encodeURIComponent(entity)}/${encodeURIComponent(project)}/artifacts`, 'data-link': true, class: 'small' }, 'artifacts →')),
    h('div', { class: 'toolbar' }, search, stateSel, h('label', null, grouped, ' group rows'), h('label', null, 'columns ', cols), compare),
    table,
  );

  const render = (): void => {
    clear(table);
    const q = state.search.toLowerCase();
    let shown = runs.filter((r) => (state.stateFilter === '' || r.state === state.stateFilter) && (q === '' || haystack(r).includes(q)));
    shown = sortRuns(shown, state.sort, state.desc);
    // The table's view in the URL: a link reproduces it, a reload keeps it.
    const url = new URLSearchParams();
    if (state.search !== '') url.set('q', state.search);
    if (state.stateFilter !== '') url.set('state', state.stateFilter);
    if (state.sort !== 'startTime') url.set('sort', state.sort);
    if (!state.desc) url.set('asc', '1');
    if (!state.grouped) url.set('flat', '1');
    url.set('cols', state.columns.join(','));
    if (picked.length > 0) url.set('sel', picked.join(','));
    history.replaceState(null, '', `${location.pathname}?${url.toString().replace(/%2C/g, ',')}`);
    // Compare the ticked runs, or (none ticked) every run shown.
    const compared = picked.length > 0 ? picked : shown.slice(0, MAX_WORKSPACE_RUNS).map((r) => r.id);
    compare.setAttribute('href', workspaceHref(entity, project, compared));
    compare.textContent = picked.length > 0 ? `compare ${picked.length} selected →` : `compare ${compared.length} shown →`;
    const header: Array<[string, string]> = [['select', '✓'], ['name', 'name'], ['state', 'state'], ['group', 'group'], ['rank', 'rank'], ['jobType', 'job type'], ['tags', 'tags'], ['startTime', 'started'], ['duration', 'duration'], ...state.columns.map((c): [string, string] => [`summary:${c}`, c])];
    const thead = h('thead', null, h('tr', null, ...header.map(([k, label]) => {
      const th = h('th', { class: 'sortable', 'data-key': k }, label, state.sort === k ? (state.desc ? ' ▾' : ' ▴') : '');
      if (k === 'select') return th;
      th.addEventListener('click', () => {
        state.desc = state.sort === k ? !state.desc : k === 'startTime';
        state.sort = k;
        render();
      });
      return th;
    })));
    const tbody = h('tbody');
    const tick = (id: string): HTMLElement => {
      const box = h('input', { type: 'checkbox', 'aria-label': `select ${id}`, 'data-testid': 'select-run', checked: picked.includes(id) });
      box.addEventListener('change', () => {
        const at = picked.indexOf(id);
        if (box.checked && at === -1 && picked.length < MAX_WORKSPACE_RUNS) picked.push(id);
        if (!box.checked && at !== -1) picked.splice(at, 1);
        render();
      });
      return box;
    };
    const row = (r: RunView, nested: boolean): HTMLElement =>
      h('tr', { class: nested ? 'nested' : undefined, 'data-testid': 'run-row', 'data-key': r.id },
        h('td', null, tick(r.id)),
        h('td', null, h('a', { href: runHref(r.entity, r.project, r.id), 'data-link': true }, r.name || r.id)),
        h('td', null, badge(r.state)),
        h('td', null, r.group ? h('a', { href: groupHref(r.entity, r.project, r.group), 'data-link': true }, r.group) : ''),
        h('td', null, r.rank ?? ''),
        h('td', null, r.jobType),
        h('td', null, ...r.tags.map((t) => h('span', { class: 'tag' }, t))),
        h('td', null, formatTime(r.startTime)),
        h('td', null, formatDuration(duration(r))),
        ...state.columns.map((c) => h('td', { class: 'num' }, summaryCell(r, c))),
      );
    if (state.grouped) {
      const groups = new Map<string, RunView[]>();
      const order: Array<RunView | string> = [];
      for (const r of shown) {
        if (r.group === '') order.push(r);
        else {
          if (!groups.has(r.group)) {
            groups.set(r.group, []);
            order.push(r.group);
          }
          groups.get(r.group)!.push(r);
        }
      }
      for (const item of order) {
        if (typeof item !== 'string') {
          tbody.appendChild(row(item, false));
          continue;
        }
        const members = groups.get(item)!.sort((a, b) => (a.rank ?? 1e9) - (b.rank ?? 1e9));
        const counts = new Map<string, number>();
        for (const m of members) counts.set(m.state, (counts.get(m.state) ?? 0) + 1);
        tbody.appendChild(
          h('tr', { class: 'group-row', 'data-testid': 'group-row', 'data-key': item },
            h('td', { colspan: header.length },
              h('a', { href: groupHref(entity, project, item), 'data-link': true }, `▸ group ${item}`),
              ` · ${members.length} ranks · `,
              ...[...counts].flatMap(([s, n]) => [badge(s), ` ${n} `]),
            ),
          ),
        );
        for (const m of members) tbody.appendChild(row(m, true));
      }
    } else for (const r of shown) tbody.appendChild(row(r, false));
    table.appendChild(h('table', { class: 'grid', 'data-testid': 'runs' }, thead, tbody));
    if (shown.length === 0) table.appendChild(h('p', { class: 'muted' }, 'No runs match.'));
  };

  search.addEventListener('input', () => {
    state.search = search.value;
    render();
  });
  stateSel.addEventListener('change', () => {
    state.stateFilter = stateSel.value;
    render();
  });
  grouped.addEventListener('change', () => {
    state.grouped = grouped.checked;
    render();
  });
  cols.addEventListener('change', () => {
    state.columns = cols.value.split(',').map((s) => s.trim()).filter((s) => s !== '').slice(0, 20);
    render();
  });
  render();

  const timer = setInterval(() => {
    if (!runs.some((r) => r.state === 'running' || r.state === 'preempting')) return;
    allRuns(base).then((next) => {
      runs = next;
      render();
    }, () => undefined);
  }, 5000);
  signal.addEventListener('abort', () => clearInterval(timer));
}

/** Every run of the project with its summary and config (the columns), page after page (docs/http-api.md, "Runs"). */
async function allRuns(base: string): Promise<RunView[]> {
  const out: RunView[] = [];
  let cursor: string | undefined;
  do {
    const page = await get<{ runs: Array<Omit<RunView, 'config'> & Partial<Pick<RunView, 'config'>>>; nextCursor?: string }>(base, { fields: 'summary,config', limit: 1000, cursor });
    for (const r of page.runs) out.push({ ...r, config: r.config ?? {} });
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return out;
}

function haystack(r: RunView): string {
  return [r.name, r.id, r.group, r.jobType, ...r.tags].join('\u0000').toLowerCase();
}

function duration(r: RunView): number {
  return r.runtime > 0 ? r.runtime : (r.endTime ?? r.heartbeatAt ?? r.startTime) - r.startTime;
}

/** A column's value: `config.<path>` reads the config, any other name the summary. */
function summaryValue(r: RunView, key: string): unknown {
  if (key.startsWith('config.')) return leafAt(r.config, key.slice('config.'.length));
  for (const [k, v] of leaves(r.summary)) if (k === key) return v;
  return undefined;
}

function summaryCell(r: RunView, key: string): string {
  const v = summaryValue(r, key);
  return v === undefined ? '' : typeof v === 'number' ? formatKeyed(key, v) : isMedia(v) ? `(${v._type})` : formatValue(v, 60);
}

/** Up to 4 numeric summary keys shared by the most runs, `_` keys left out. */
function defaultColumns(runs: RunView[]): string[] {
  const counts = new Map<string, number>();
  for (const r of runs.slice(0, 200)) for (const [k, v] of leaves(r.summary)) if (!k.startsWith('_') && typeof v === 'number') counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 4).map(([k]) => k);
}

function sortRuns(runs: RunView[], key: string, desc: boolean): RunView[] {
  const val = (r: RunView): number | string => {
    if (key.startsWith('summary:')) {
      const v = summaryValue(r, key.slice(8));
      return typeof v === 'number' ? v : typeof v === 'string' ? v : -Infinity;
    }
    switch (key) {
      case 'duration':
        return duration(r);
      case 'rank':
        return r.rank ?? -1;
      case 'tags':
        return r.tags.join(',');
      case 'startTime':
        return r.startTime;
      default: {
        const v = (r as unknown as Record<string, unknown>)[key];
        return typeof v === 'number' || typeof v === 'string' ? v : '';
      }
    }
  };
  const sorted = [...runs].sort((a, b) => {
    const x = val(a);
    const y = val(b);
    return typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
  });
  return desc ? sorted.reverse() : sorted;
}
