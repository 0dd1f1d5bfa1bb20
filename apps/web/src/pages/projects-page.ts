import { get, projectHref, type ProjectInfo } from '../api.js';
import { h } from '../dom.js';
import { formatTime } from '../format.js';

/** `/`: the projects of the default entity. */
export async function projectsPage(root: HTMLElement): Promise<void> {
  const info = await get<{ defaultEntity: string }>('/api/v1/info');
  const { projects } = await get<{ projects: ProjectInfo[] }>('/api/v1/projects', { entity: info.defaultEntity });
  root.appendChild(h('h1', null, 'Projects'));
  if (projects.length === 0) {
    root.appendChild(h('p', { class: 'muted' }, 'No runs yet. Start one with `npx cohort demo`.'));
    return;
  }
  root.appendChild(
    h(
      'table',
      { class: 'grid', 'data-testid': 'projects' },
      h('thead', null, h('tr', null, h('th', null, 'project'), h('th', null, 'runs'), h('th', null, 'updated'))),
      h(
        'tbody',
        null,
        ...projects.map((p) =>
          h('tr', null, h('td', null, h('a', { href: projectHref(p.entity, p.project), 'data-link': true }, p.project)), h('td', null, p.runCount), h('td', null, formatTime(p.updatedAt))),
        ),
      ),
    ),
  );
}
