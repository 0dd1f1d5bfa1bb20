import { ApiError, projectHref } from './api.js';
import { clear, h } from './dom.js';
import { artifactPage, artifactsPage } from './pages/artifact-page.js';
import { groupPage } from './pages/group-page.js';
import { loginPage } from './pages/login-page.js';
import { projectsPage } from './pages/projects-page.js';
import { runPage } from './pages/run-page.js';
import { runsPage } from './pages/runs-page.js';
import { sweepPage } from './pages/sweep-page.js';
import { workspacePage } from './pages/workspace-page.js';
import './style.css';

/**
 * The dashboard's router: paths are the coordinator's page URLs
 * (`/<entity>/<project>/runs/<id>` is what `run.url` points at). Links
 * marked `data-link` navigate without reload.
 */

const app = document.getElementById('app')!;
const crumbs = document.getElementById('crumbs')!;
let current: AbortController | undefined;

function segments(): string[] {
  return location.pathname
    .split('/')
    .slice(1)
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

async function render(): Promise<void> {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  window.__cohort.ready = {};
  clear(app);
  clear(crumbs);
  const seg = segments();
  const [entity, project, kind, id] = seg;
  if (entity !== undefined && project !== undefined) {
    crumbs.append(h('span', null, ` / ${entity} / `), h('a', { href: projectHref(entity, project), 'data-link': true }, project));
    if (id !== undefined) crumbs.append(h('span', null, ` / ${kind ?? ''} / ${id}`));
  }
  document.title = seg.length === 0 ? 'Cohort' : `${seg[seg.length - 1]} · Cohort`;
  try {
    if (seg.length === 1 && seg[0] === 'login') loginPage(app, new URLSearchParams(location.search).get('next') ?? '/');
    else if (seg.length === 0) await projectsPage(app);
    else if (seg.length === 2) await runsPage(app, entity!, project!, controller.signal);
    else if (seg.length === 4 && kind === 'runs') await runPage(app, entity!, project!, id!, controller.signal);
    else if (seg.length === 4 && kind === 'groups') await groupPage(app, entity!, project!, id!, controller.signal);
    else if (seg.length === 4 && kind === 'sweeps') await sweepPage(app, entity!, project!, id!, controller.signal);
    else if (seg.length === 3 && kind === 'workspace') await workspacePage(app, entity!, project!, controller.signal);
    else if (seg.length === 3 && kind === 'artifacts') await artifactsPage(app, entity!, project!);
    else if ((seg.length === 4 || seg.length === 5) && kind === 'artifacts') await artifactPage(app, entity!, project!, id!, seg[4]); else app.append(h('h1', null, 'Not found'), h('p', { class: 'muted' }, `No page at ${location.pathname}.`));
  } catch (err) {
    if (controller.signal.aborted) return;
    const message = err instanceof ApiError ? `${err.code}: ${err.message}` : String((err as Error).message ?? err);
    app.append(h('h1', null, err instanceof ApiError && err.status === 404 ? 'Not found' : 'Could not load this page'), h('p', { class: 'error', 'data-testid': 'error' }, message));
  }
}

document.addEventListener('click', (e) => {
  const a = (e.target as Element | null)?.closest?.('a[data-link]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
  const href = a.getAttribute('href');
  if (href === null || !href.startsWith('/')) return;
  e.preventDefault();
  history.pushState(null, '', href);
  void render();
});
window.addEventListener('popstate', () => void render());
void render();
