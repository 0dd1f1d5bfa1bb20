import { forEachLeaf, stringifyJson } from '@cohort/protocol';
import type { RunListItem, RunView } from '@cohort/engine';
import type { ProjectInfo } from '@cohort/store';
import { runUrl } from './run-url.js';

/**
 * Minimal server-rendered pages, so run URLs and `run.toHtml()` iframes show
 * something before the dashboard exists. Every user string goes through
 * {@link escapeHtml}; the pages carry no script.
 */

const MAX_TABLE_ROWS = 1000;
const MAX_CELL_CHARS = 300;

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Cohort</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem;color:#1d2330}
h1{font-size:1.3rem;margin:0 0 .3rem}h2{font-size:1.05rem;margin:1.4rem 0 .4rem}
table{border-collapse:collapse;min-width:20rem}td,th{border-bottom:1px solid #e3e6ec;padding:.25rem .7rem;text-align:left;vertical-align:top}
th{color:#5b6475;font-weight:600}code,td.v{font-family:ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}
.state{display:inline-block;padding:0 .5rem;border-radius:.6rem;background:#eef1f6}
.muted{color:#5b6475}a{color:#2456c8}
</style>
</head>
<body>
${body}
</body>
</html>
`;
}

function cell(value: unknown): string {
  const text = typeof value === 'string' ? value : stringifyJson(value);
  return escapeHtml(text.length > MAX_CELL_CHARS ? `${text.slice(0, MAX_CELL_CHARS - 1)}…` : text);
}

function leafTable(data: Record<string, unknown>, empty: string): string {
  const rows: string[] = [];
  let total = 0;
  forEachLeaf(data, (path, value) => {
    total++;
    if (rows.length < MAX_TABLE_ROWS) rows.push(`<tr><td><code>${escapeHtml(path)}</code></td><td class="v">${cell(value)}</td></tr>`);
  });
  if (total === 0) return `<p class="muted">${escapeHtml(empty)}</p>`;
  const more = total > rows.length ? `<p class="muted">${total - rows.length} more not shown</p>` : '';
  return `<table><thead><tr><th>key</th><th>value</th></tr></thead><tbody>${rows.join('')}</tbody></table>${more}`;
}

function runsTable(httpUrl: string, runs: readonly RunListItem[]): string {
  if (runs.length === 0) return '<p class="muted">No runs yet.</p>';
  const rows = runs.map(
    (r) =>
      `<tr><td><a href="${escapeHtml(runUrl(httpUrl, { entity: r.entity, project: r.project, runId: r.id }))}">${escapeHtml(r.name || r.id)}</a></td>` +
      `<td><code>${escapeHtml(r.id)}</code></td><td><span class="state">${escapeHtml(r.state)}</span></td>` +
      `<td>${r.lastStep === null ? '' : escapeHtml(String(r.lastStep))}</td><td>${escapeHtml(r.group)}</td></tr>`,
  );
  return `<table><thead><tr><th>name</th><th>id</th><th>state</th><th>last step</th><th>group</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The page of one run: name, state, summary and config. */
export function renderRunPage(httpUrl: string, run: RunView): string {
  const projectHref = `${httpUrl}/${encodeURIComponent(run.entity)}/${encodeURIComponent(run.project)}`;
  const facts: [string, string][] = [
    ['id', run.id],
    ['state', run.state],
    ['group', run.group],
    ['job type', run.jobType],
    ['rank', run.rank === null ? '' : `${run.rank}${run.worldSize === null ? '' : ` of ${run.worldSize}`}`],
    ['last step', run.lastStep === null ? '' : String(run.lastStep)],
    ['started', new Date(run.startTime * 1000).toISOString()],
    ['runtime', `${run.runtime.toFixed(1)} s`],
    ['tags', run.tags.join(', ')],
    ['notes', run.notes],
  ];
  const body = `<p class="muted"><a href="${escapeHtml(projectHref)}">${escapeHtml(`${run.entity}/${run.project}`)}</a></p>
<h1>${escapeHtml(run.name || run.id)} <span class="state">${escapeHtml(run.state)}</span></h1>
<table><tbody>${facts
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join('')}</tbody></table>
<h2>Summary</h2>
${leafTable(run.summary, 'Nothing logged yet.')}
<h2>Config</h2>
${leafTable(run.config, 'No config.')}`;
  return page(run.name || run.id, body);
}

/** The page of one project: its runs. */
export function renderProjectPage(httpUrl: string, entity: string, project: string, runs: readonly RunListItem[]): string {
  const body = `<p class="muted"><a href="${escapeHtml(`${httpUrl}/`)}">all projects</a></p>
<h1>${escapeHtml(`${entity}/${project}`)}</h1>
${runsTable(httpUrl, runs)}`;
  return page(`${entity}/${project}`, body);
}

/** The front page: the projects. */
export function renderIndexPage(httpUrl: string, projects: readonly ProjectInfo[]): string {
  const list =
    projects.length === 0
      ? '<p class="muted">No projects yet. Log a run with the SDK, or try <code>cohort demo</code>.</p>'
      : `<table><thead><tr><th>project</th><th>runs</th><th>updated</th></tr></thead><tbody>${projects
          .map(
            (p) =>
              `<tr><td><a href="${escapeHtml(`${httpUrl}/${encodeURIComponent(p.entity)}/${encodeURIComponent(p.project)}`)}">${escapeHtml(`${p.entity}/${p.project}`)}</a></td>` +
              `<td>${p.runCount}</td><td>${escapeHtml(new Date(p.updatedAt * 1000).toISOString())}</td></tr>`,
          )
          .join('')}</tbody></table>`;
  return page('Projects', `<h1>Cohort</h1>\n${list}`);
}

/** A page for an error (404 and the like). */
export function renderErrorPage(status: number, message: string): string {
  return page(`Error ${status}`, `<h1>${status}</h1>\n<p>${escapeHtml(message)}</p>`);
}
