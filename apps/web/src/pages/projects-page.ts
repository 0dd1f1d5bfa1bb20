import { get, projectHref, type ProjectInfo } from '../api.js';
import { h } from '../dom.js';
import { formatTime } from '../format.js';

/**
 * `/`: the projects the caller may see: with API keys, those of every entity
 * of the session's key; without, the server's default entity's.
 */
export async function projectsPage(root: HTMLElement): Promise<void> {
  const { projects } = await get<{ projects: ProjectInfo[] }>('/api/v1/projects');
  root.appendChild(h('h1', null, 'Projects'));
  if (projects.length === 0) {
    root.appendChild(h('p', { class: 'muted' }, 'No runs yet. Start one with `npx cohort demo`.'));
    return;
  }
  root.appendChild(
    h(
      'table',
      { class: 'grid', 'data-testid': 'projects' },
      h('thead', null, h('tr', null, h('th', null, 'entity'), h('th', null, 'project'), h('th', null, 'runs'), h('th', null, 'updated'))),
      h(
        'tbody',
        null,
        ...projects.map((p) =>
          h('tr', null, h('td', null, p.entity), h('td', null, h('a', { href: projectHref(p.entity, p.project), 'data-link': true }, p.project)), h('td', null, p.runCount), h('td', null, formatTime(p.updatedAt))),
        ),
      ),
    ),
  );
}
