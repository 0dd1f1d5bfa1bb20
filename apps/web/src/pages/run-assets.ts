import { ApiError, artifactHref, extraAliases, get, type ArtifactBrief, type ConsoleLine, type RunFile } from '../api.js';
import { h } from '../dom.js';

/** Console lines shown on the run page (the rest: `files/output.log`). */
const CONSOLE_TAIL = 500;

function none(text: string): HTMLElement {
  return h('p', { class: 'muted' }, text);
}

/** Reads an optional route: a server without artifacts/files (404 on the route) shows "none". */
async function optional<T>(path: string, params: Record<string, string | number> = {}): Promise<T | undefined> {
  try {
    return await get<T>(path, params);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 405)) return undefined;
    throw err;
  }
}

/** The Files, Artifacts and Console output panels of a run (`base` = `/api/v1/runs/:e/:p/:id`). */
export async function runAssetPanels(base: string): Promise<{ files: HTMLElement; artifacts: HTMLElement; console: HTMLElement }> {
  const [files, artifacts, lines] = await Promise.all([
    optional<{ files: RunFile[] }>(`${base}/files`),
    optional<{ logged: ArtifactBrief[]; used: ArtifactBrief[] }>(`${base}/artifacts`),
    optional<{ lines: ConsoleLine[] }>(`${base}/console`, { limit: 10_000 }),
  ]);
  const filesEl =
    !files || files.files.length === 0
      ? none('none saved')
      : h('ul', { 'data-testid': 'files' }, ...files.files.slice(0, 1000).map((f) => h('li', null, h('a', { href: `${base}/files/${f.path.split('/').map(encodeURIComponent).join('/')}` }, f.path), h('span', { class: 'muted' }, ` ${formatBytes(f.size)}`))));
  const artifactItem = (a: ArtifactBrief): HTMLElement =>
    h('li', null, h('a', { href: artifactHref(a.entity, a.project, a.name, a.version), 'data-link': true }, `${a.name}:${a.version}`), h('span', { class: 'muted' }, ` ${a.type}`), ...extraAliases(a).map((al) => h('span', { class: 'tag' }, al)));
  const artifactsEl =
    !artifacts || artifacts.logged.length + artifacts.used.length === 0
      ? none('none logged or used')
      : h('div', { 'data-testid': 'run-artifacts' }, h('div', null, 'logged'), h('ul', null, ...artifacts.logged.map(artifactItem)), h('div', null, 'used'), h('ul', null, ...artifacts.used.map(artifactItem)));
  const tail = lines?.lines.slice(-CONSOLE_TAIL) ?? [];
  const consoleEl =
    tail.length === 0
      ? none('none captured')
      : h('div', null, h('pre', { class: 'console', 'data-testid': 'console' }, tail.map((l) => `${l.label === '' ? '' : `[${l.label}] `}${l.line}`).join('\n')), h('a', { href: `${base}/files/output.log` }, 'full output.log'));
  return { files: filesEl, artifacts: artifactsEl, console: consoleEl };
}

/** `1.2 MB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
