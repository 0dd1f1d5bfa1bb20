import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { CohortError, checkArtifactName, checkDigest, checkFilePath, stringifyJson, type HttpAnswer } from '@cohort/protocol';
import type { ArtifactService, ArtifactVersionView } from '@cohort/engine';
import type { Store } from '@cohort/store';
import { fileHeaders } from '../file-content-type.js';
import { httpStatusOf, toPublicError } from '../grpc-status.js';
import { requestUrl } from '../request-url.js';
import type { Access } from '../auth/access.js';
import { canSee, type Principal } from '../auth/principal.js';

/** What the asset routes need. */
export interface AssetRoutesDeps {
  service: ArtifactService;
  store: Store;
  access: Access;
  log: Logger;
  /** Blob bodies answer 302 to the blob store's presigned URL, valid this long (`blobRedirectSeconds`); absent: streamed here. */
  redirectSeconds?: number;
}

/** Most delivery records one request lists. */
const MAX_DELIVERIES = 1000;

type Json = { status: number; body: unknown };

/**
 * The HTTP routes of blobs, artifacts, run files and alert deliveries
 * (docs/http-api.md, "Artifacts and files"). Returns a handler that answers
 * its paths and returns false for any other, so it sits in front of the
 * API's handler. Blob and file bodies stream from the blob store.
 *
 * The caller is authenticated and the entity in the path checked before
 * (`http-api.ts`); here a blob is served only when the caller may read it,
 * and alert deliveries (every team's) only without keys.
 */
export function createAssetRoutes(deps: AssetRoutesDeps): (req: IncomingMessage, res: ServerResponse, principal: Principal) => boolean {
  return (req, res, principal) => {
    const url = requestUrl(req);
    const seg = url.pathname.split('/').slice(1);
    if (seg[0] !== 'api' || seg[1] !== 'v1') return false;
    const isRunAsset = seg[2] === 'runs' && seg.length >= 7 && (seg[6] === 'files' || seg[6] === 'artifacts' || seg[6] === 'console');
    const isAlertDeliveries = seg[2] === 'alerts' && seg[3] === 'deliveries';
    if (seg[2] !== 'blobs' && seg[2] !== 'artifacts' && !isRunAsset && !isAlertDeliveries) return false;
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      sendJson(res, { status: 405, body: { error: { code: 'INVALID_ARGUMENT', message: `method ${req.method ?? ''} is not allowed; use GET` } } }, false);
      return true;
    }
    void (async () => {
      let parts: string[];
      try {
        parts = seg.map((p) => decodeURIComponent(p));
      } catch {
        throw new CohortError('INVALID_ARGUMENT', 'a path segment is not valid percent-encoding');
      }
      if (parts[2] === 'blobs' && parts.length === 4) {
        const digest = checkDigest(parts[3], 'digest');
        if (!(await deps.access.readableBlobs(principal, [digest])).has(digest)) throw new CohortError('NOT_FOUND', `blob ${digest}: not stored`);
        return streamBlob(deps, digest, res, head, undefined);
      }
      if (isAlertDeliveries && parts.length === 4) {
        const state = url.searchParams.get('state') ?? undefined;
        if (state !== undefined && state !== 'claimed' && state !== 'delivered' && state !== 'dead') {
          throw new CohortError('INVALID_ARGUMENT', `Expected \`state\` to be claimed, delivered or dead, got ${JSON.stringify(state)}`);
        }
        return sendJson(res, { status: 200, body: { deliveries: await deps.store.artifacts.alertDeliveries(state, MAX_DELIVERIES) } satisfies HttpAnswer<'/api/v1/alerts/deliveries'> }, head);
      }
      if (parts[2] === 'artifacts') return sendJson(res, await artifactRoute(deps, parts.slice(3), principal), head);
      const run = await deps.service.run({ entity: parts[3]!, project: parts[4]!, runId: parts[5]! });
      if (parts[6] === 'artifacts' && parts.length === 7) {
        const [logged, used] = await Promise.all([deps.store.artifacts.loggedByRun(run.pk), deps.store.artifacts.usedByRun(run.pk)]);
        const brief = (v: (typeof logged)[number]) => ({ entity: v.entity, project: v.project, name: v.name, type: v.type, version: `v${v.index ?? 0}`, digest: v.digest, aliases: v.aliases });
        return sendJson(res, { status: 200, body: { logged: logged.map(brief), used: used.map(brief) } satisfies HttpAnswer<'/api/v1/runs/{entity}/{project}/{id}/artifacts'> }, head);
      }
      if (parts[6] === 'console' && parts.length === 7) {
        const after = intQuery(url, 'after', 0);
        const limit = Math.min(intQuery(url, 'limit', MAX_CONSOLE_PAGE), MAX_CONSOLE_PAGE);
        return sendJson(res, { status: 200, body: { lines: await deps.store.artifacts.consoleLines(run.pk, after, limit) } satisfies HttpAnswer<'/api/v1/runs/{entity}/{project}/{id}/console'> }, head);
      }
      const files = await deps.store.artifacts.runFiles(run.pk);
      if (parts.length === 7) return sendJson(res, { status: 200, body: { files } satisfies HttpAnswer<'/api/v1/runs/{entity}/{project}/{id}/files'> }, head);
      const path = checkFilePath(parts.slice(7).join('/'), 'path');
      const file = files.find((f) => f.path === path);
      if (!file && path === 'output.log') return streamConsole(deps, run.pk, res, head);
      if (!file) throw new CohortError('NOT_FOUND', `run ${run.runId}: no file ${JSON.stringify(path)}`);
      return streamBlob(deps, file.digest, res, head, path);
    })().catch((err: unknown) => {
      const error = toPublicError(err);
      if (error.unexpected) deps.log.error({ err, url: req.url }, 'asset request failed');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendJson(res, { status: httpStatusOf(error.code), body: { error: { code: error.code, message: error.message } } }, head);
    });
    return true;
  };
}

/** Most console lines one page holds. */
const MAX_CONSOLE_PAGE = 10_000;

function intQuery(url: URL, name: string, fallback: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new CohortError('INVALID_ARGUMENT', `Expected \`${name}\` to be an integer from 0 and up, got ${JSON.stringify(raw)}`);
  return n;
}

/** `output.log`: the run's console lines as text, `[label] ` before labelled ones, read page by page. */
async function streamConsole(deps: AssetRoutesDeps, runPk: number, res: ServerResponse, head: boolean): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
  if (head) {
    res.end();
    return;
  }
  let after = 0;
  for (;;) {
    const page = await deps.store.artifacts.consoleLines(runPk, after, MAX_CONSOLE_PAGE);
    if (page.length === 0) break;
    const text = page.map((l) => `${l.label === '' ? '' : `[${l.label}] `}${l.line}\n`).join('');
    if (!res.write(text)) await new Promise((r) => res.once('drain', r));
    after = page[page.length - 1]!.id;
  }
  res.end();
}

async function artifactRoute(deps: AssetRoutesDeps, p: string[], principal: Principal): Promise<Json> {
  if (p.length < 2 || p.length > 4) throw new CohortError('NOT_FOUND', 'artifact routes: /api/v1/artifacts/:entity/:project[/:name[/:alias]]');
  const [entity, project, name, alias] = p as [string, string, string | undefined, string | undefined];
  if (name === undefined) return { status: 200, body: { artifacts: await deps.store.artifacts.list(entity, project) } satisfies HttpAnswer<'/api/v1/artifacts/{entity}/{project}'> };
  if (alias === undefined) {
    const versions = await deps.store.artifacts.versions({ entity, project, name });
    if (versions.length === 0) throw new CohortError('NOT_FOUND', `artifact ${entity}/${project}/${name}: not found`);
    return { status: 200, body: { versions: versions.map((v) => ({ version: `v${v.index ?? 0}`, digest: v.digest, aliases: v.aliases, size: v.size, fileCount: v.fileCount, createdAt: v.createdAt })) } satisfies HttpAnswer<'/api/v1/artifacts/{entity}/{project}/{name}'> };
  }
  // A plain name only: `entity/project/name` inside it would reach past the entity checked in the path.
  const view = await deps.service.get(entity, project, `${checkArtifactName(name)}:${alias}`);
  return { status: 200, body: await versionJson(deps, view, principal) };
}

/** The JSON of one version: its fields, files and lineage. */
export async function versionJson(deps: AssetRoutesDeps, view: ArtifactVersionView, principal: Principal): Promise<HttpAnswer<'/api/v1/artifacts/{entity}/{project}/{name}/{alias}'>> {
  const v = view.version;
  return {
    entity: v.entity,
    project: v.project,
    name: v.name,
    type: v.type,
    version: `v${v.index ?? 0}`,
    state: v.state,
    digest: v.digest,
    aliases: v.aliases,
    tags: v.tags,
    description: v.description,
    metadata: JSON.parse(v.metadataJson) as unknown,
    size: v.size,
    createdAt: v.createdAt,
    files: view.entries,
    loggedBy: view.loggedBy ?? null,
    usedBy: (await deps.service.usedBy(v)).filter((run) => canSee(principal, run.entity)),
  };
}

/** Streams a blob; `path` (a run file's) sets the Content-Type and disposition (file-content-type.ts). */
async function streamBlob(deps: AssetRoutesDeps, digest: string, res: ServerResponse, head: boolean, path: string | undefined): Promise<void> {
  const size = await deps.service.blobs.stat(digest);
  if (size === undefined) throw new CohortError('NOT_FOUND', `blob ${digest}: not stored`);
  const signer = deps.service.blobs.downloadUrl?.bind(deps.service.blobs);
  if (deps.redirectSeconds !== undefined && signer) {
    // The caller's access was checked above; the URL is the permission from here, for a short while.
    const headers = fileHeaders(path);
    const type = headers['content-type'];
    const disposition = headers['content-disposition'];
    const location = await signer(digest, { expiresInSeconds: deps.redirectSeconds, ...(type !== undefined && { contentType: type }), ...(disposition !== undefined && { contentDisposition: disposition }) });
    res.writeHead(302, { location, 'cache-control': 'private, no-store', 'content-length': '0' });
    res.end();
    return;
  }
  res.writeHead(200, { ...fileHeaders(path), 'content-length': String(size), etag: `"${digest}"`, 'cache-control': 'public, max-age=31536000, immutable' });
  if (head) {
    res.end();
    return;
  }
  await pipeline(await deps.service.blobs.open(digest), res);
}

function sendJson(res: ServerResponse, reply: Json, head: boolean): void {
  const text = stringifyJson(reply.body);
  res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) });
  res.end(head ? undefined : text);
}
