/**
 * The project workspace's view as URL parameters, so a link reproduces it and
 * a reload keeps it: `runs` (the selected run ids, in colour order), `x`
 * (x-axis; '' draws each metric against its step metric or `_step`),
 * `smooth` (0 to 0.99), `log` (1 for a log y-scale), `q` (only the
 * charts whose key contains it) and `group` (`group`, or `config.<path>`:
 * a mean line and min–max band per value instead of a line per run) and
 * `hide` (runs of the selection whose lines are toggled off).
 */
export interface WorkspaceView {
  runs: string[];
  xAxis: string;
  smoothing: number;
  logScale: boolean;
  filter: string;
  groupBy: string;
  hidden: string[];
}

/** The most runs a workspace draws (the server's bound per request, docs/http-api.md). */
export const MAX_WORKSPACE_RUNS = 500;

/** Reads a view from `location.search`; bad values fall back to the defaults. */
export function readWorkspaceView(search: string): WorkspaceView {
  const p = new URLSearchParams(search);
  const smoothing = Number(p.get('smooth') ?? '0');
  return {
    runs: (p.get('runs') ?? '').split(',').filter((r) => r !== '').slice(0, MAX_WORKSPACE_RUNS),
    xAxis: p.get('x') ?? '',
    smoothing: Number.isFinite(smoothing) ? Math.min(0.99, Math.max(0, smoothing)) : 0,
    logScale: p.get('log') === '1',
    filter: p.get('q') ?? '',
    groupBy: p.get('group') ?? '',
    hidden: (p.get('hide') ?? '').split(',').filter((r) => r !== '').slice(0, MAX_WORKSPACE_RUNS),
  };
}

/** The query string of a view (defaults left out). */
export function workspaceSearch(v: WorkspaceView): string {
  const p = new URLSearchParams();
  if (v.runs.length > 0) p.set('runs', v.runs.join(','));
  if (v.xAxis !== '') p.set('x', v.xAxis);
  if (v.smoothing > 0) p.set('smooth', String(v.smoothing));
  if (v.logScale) p.set('log', '1');
  if (v.filter !== '') p.set('q', v.filter);
  if (v.groupBy !== '') p.set('group', v.groupBy);
  if (v.hidden.length > 0) p.set('hide', v.hidden.join(','));
  const text = p.toString().replace(/%2C/g, ',').replace(/%2F/g, '/');
  return text === '' ? '' : `?${text}`;
}

/** The workspace page of a project showing `runs`. */
export function workspaceHref(entity: string, project: string, runs: readonly string[]): string {
  return `/${encodeURIComponent(entity)}/${encodeURIComponent(project)}/workspace${workspaceSearch({ runs: [...runs], xAxis: '', smoothing: 0, logScale: false, filter: '', groupBy: '', hidden: [] })}`;
}
