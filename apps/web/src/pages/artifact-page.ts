import { artifactBase, artifactHref, extraAliases, get, runBase, runHref, type ArtifactBrief, type ArtifactVersionSummary, type ArtifactVersionView, type RunKeyView } from '../api.js';
import { clear, h } from '../dom.js';
import { formatTime, formatValue } from '../format.js';
import { formatNumber } from '../numbers.js';
import { formatBytes } from './run-assets.js';

/** The project that holds registered models (`<entity>/model-registry/<name>`), as the SDK's `linkModel` writes it. */
const REGISTRY = 'model-registry';

const registryLink = (entity: string): HTMLElement => h('a', { href: artifactHref(entity, REGISTRY), 'data-link': true, 'data-testid': 'registry-link' }, 'Model registry');

/**
 * `/:entity/:project/artifacts`: the project's artifacts; for the project
 * `model-registry`, the registered models with their versions and aliases.
 */
export async function artifactsPage(root: HTMLElement, entity: string, project: string): Promise<void> {
  const { artifacts } = await get<{ artifacts: Array<{ name: string; type: string; createdAt: number; versions: number; fileCount: number; size: number }> }>(artifactBase(entity, project));
  const registry = project === REGISTRY;
  root.append(
    h('h1', null, registry ? 'Model registry' : 'Artifacts'),
    registry ? h('p', { class: 'muted' }, `Registered models of ${entity}: each version links an artifact version a run logged.`) : h('p', null, registryLink(entity)),
  );
  if (artifacts.length === 0) {
    root.append(h('p', { class: 'muted', 'data-testid': 'artifacts' }, registry ? 'No models registered yet (`run.linkModel`).' : 'No artifacts logged in this project.'));
    return;
  }
  const versionsOf = (name: string): Promise<ArtifactVersionSummary[]> =>
    registry ? get<{ versions: ArtifactVersionSummary[] }>(`${artifactBase(entity, project)}/${encodeURIComponent(name)}`).then((r) => r.versions) : Promise.resolve([]);
  const versions = await Promise.all(artifacts.map((a) => versionsOf(a.name)));
  root.append(
    h('table', { class: 'grid', 'data-testid': registry ? 'registered-models' : 'artifacts' },
      h('thead', null, h('tr', null, h('th', null, 'name'), h('th', null, 'type'), h('th', null, 'created'), h('th', { class: 'num' }, 'versions'), h('th', { class: 'num' }, 'files (latest)'), h('th', { class: 'num' }, 'size (latest)'), registry ? h('th', null, 'linked versions') : null)),
      h('tbody', null, ...artifacts.map((a, i) =>
        h('tr', { 'data-key': a.name },
          h('td', null, h('a', { href: artifactHref(entity, project, a.name), 'data-link': true }, a.name)),
          h('td', null, a.type),
          h('td', null, formatTime(a.createdAt)),
          h('td', { class: 'num', 'data-testid': 'artifact-versions' }, formatNumber(a.versions)),
          h('td', { class: 'num', 'data-testid': 'artifact-filecount' }, formatNumber(a.fileCount)),
          h('td', { class: 'num', 'data-testid': 'artifact-size' }, formatBytes(a.size)),
          registry ? h('td', { 'data-testid': 'model-versions' }, ...versions[i]!.map((v) => h('span', { class: 'model-version' }, h('a', { href: artifactHref(entity, project, a.name, v.version), 'data-link': true }, v.version), ...extraAliases(v).map((al) => h('span', { class: 'tag' }, al)), ' '))) : null,
        ),
      )),
    ),
  );
}

/**
 * The artifact version a registered model version links: the version of the
 * same digest among those its run logged (linking copies no bytes).
 */
async function linkedSource(v: ArtifactVersionView): Promise<ArtifactBrief | undefined> {
  if (v.project !== REGISTRY || !v.loggedBy) return undefined;
  const { logged } = await get<{ logged: ArtifactBrief[] }>(`${runBase(v.loggedBy.entity, v.loggedBy.project, v.loggedBy.runId)}/artifacts`);
  return logged.find((a) => a.digest === v.digest && a.project !== REGISTRY);
}

const runLink = (r: RunKeyView): HTMLElement => h('a', { href: runHref(r.entity, r.project, r.runId), 'data-link': true }, `${r.project}/${r.runId}`);

/**
 * `/:entity/:project/artifacts/:name[/:version]`: every version with its
 * aliases, and one version's files, metadata and lineage (the run that
 * logged it, the runs that used it).
 */
export async function artifactPage(root: HTMLElement, entity: string, project: string, name: string, version: string | undefined): Promise<void> {
  const { versions } = await get<{ versions: ArtifactVersionSummary[] }>(`${artifactBase(entity, project)}/${encodeURIComponent(name)}`);
  const chosen = version ?? versions.find((v) => v.aliases.includes('latest'))?.version ?? versions[versions.length - 1]?.version ?? 'latest';
  root.append(
    h('h1', null, `artifact ${name}`),
    project === REGISTRY
      ? h('p', null, registryLink(entity))
      : h('p', null, h('a', { href: artifactHref(entity, project), 'data-link': true }, `all artifacts of ${project}`), ' · ', registryLink(entity)),
    h('table', { class: 'grid', 'data-testid': 'versions' },
      h('thead', null, h('tr', null, ...['version', 'aliases', 'files', 'size', 'created', 'digest'].map((c) => h('th', null, c)))),
      h('tbody', null, ...versions.map((v) =>
        h('tr', { 'data-testid': 'version', 'data-key': v.version, class: v.version === chosen ? 'group-row' : undefined },
          h('td', null, h('a', { href: artifactHref(entity, project, name, v.version), 'data-link': true }, v.version)),
          h('td', null, ...extraAliases(v).map((a) => h('span', { class: 'tag' }, a))),
          h('td', null, v.fileCount),
          h('td', null, formatBytes(v.size)),
          h('td', null, formatTime(v.createdAt)),
          h('td', { class: 'v' }, v.digest.slice(0, 12)),
        ),
      )),
    ),
  );
  const detail = h('div', { class: 'panels' });
  root.append(detail);
  const v = await get<ArtifactVersionView>(`${artifactBase(entity, project)}/${encodeURIComponent(name)}/${encodeURIComponent(chosen)}`);
  const source = await linkedSource(v).catch(() => undefined);
  clear(detail);
  detail.append(
    h('section', { class: 'panel' }, h('h2', null, `${v.name}:${v.version} (${v.type})`), h('p', null, v.description), h('pre', { class: 'v' }, formatValue(v.metadata, 4000)), h('div', { class: 'muted' }, `state ${v.state}`)),
    h('section', { class: 'panel' }, h('h2', null, 'Files'), h('ul', { 'data-testid': 'artifact-files' }, ...v.files.slice(0, 1000).map((f) => h('li', null, f.ref !== '' ? `${f.path} → ${f.ref}` : h('a', { href: `/api/v1/blobs/${encodeURIComponent(f.digest)}` }, f.path), h('span', { class: 'muted' }, ` ${formatBytes(f.size)}`))))),
    h('section', { class: 'panel', 'data-testid': 'lineage' }, h('h2', null, 'Lineage'),
      h('div', null, 'logged by ', v.loggedBy ? runLink(v.loggedBy) : h('span', { class: 'muted' }, 'unknown')),
      source ? h('div', { 'data-testid': 'linked-from' }, 'links ', h('a', { href: artifactHref(source.entity, source.project, source.name, source.version), 'data-link': true }, `${source.project}/${source.name}:${source.version}`)) : null,
      h('div', null, 'used by ', v.usedBy.length === 0 ? h('span', { class: 'muted' }, 'no run yet') : h('ul', null, ...v.usedBy.map((r) => h('li', null, runLink(r)))))),
  );
}
