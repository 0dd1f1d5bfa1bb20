import type { Logger } from 'pino';
import type { ArtifactService, ArtifactVersionView, ManifestEntryInput, RunRefInput } from '@cohort/engine';
import type { ArtifactsHandlers } from '../generated/cohort/v1/Artifacts.js';
import type { ArtifactVersion } from '../generated/cohort/v1/ArtifactVersion.js';
import type { RunRef__Output } from '../generated/cohort/v1/RunRef.js';
import type { ManifestEntryMessage__Output } from '../generated/cohort/v1/ManifestEntryMessage.js';
import { toGrpcStatus, toPublicError } from '../grpc-status.js';
import { CohortError, parseArtifactPath, parseLinkTarget } from '@cohort/protocol';
import type { Access } from '../auth/access.js';
import type { Principal } from '../auth/principal.js';
import { assertVisible } from '../auth/principal.js';

/** The `ArtifactVersion` message of a version view. */
export function toVersionMessage(view: ArtifactVersionView): ArtifactVersion {
  const v = view.version;
  return {
    entity: v.entity,
    project: v.project,
    name: v.name,
    type: v.type,
    version: v.index === undefined ? '' : `v${v.index}`,
    state: v.state,
    digest: v.digest,
    aliases: [...v.aliases],
    tags: [...v.tags],
    description: v.description,
    metadataJson: v.metadataJson,
    entries: view.entries.map((e) => ({ path: e.path, digest: e.digest, size: e.size, ref: e.ref })),
    size: v.size,
    loggedBy: view.loggedBy ? `${view.loggedBy.entity}/${view.loggedBy.project}/${view.loggedBy.runId}` : '',
    deduplicated: v.deduplicated === true,
    createdAt: v.createdAt,
    distributedId: v.distributedId,
  };
}

/** The run of a request, its entity resolved for the caller (NOT_FOUND when not visible). */
function runRef(ref: RunRef__Output | null, access: Access, principal: Principal): RunRefInput {
  if (!ref || ref.project === '' || ref.runId === '') throw new CohortError('INVALID_ARGUMENT', 'Expected `run` (project and runId) in the request');
  return { entity: access.entity(principal, ref.entity), project: ref.project, runId: ref.runId };
}

/** Checks that the caller may read every uploaded blob a manifest names (else it could claim another team's blob by digest). */
async function checkReadable(access: Access, principal: Principal, list: readonly ManifestEntryInput[]): Promise<void> {
  const digests = [...new Set(list.filter((e) => e.ref === '').map((e) => e.digest))];
  const readable = await access.readableBlobs(principal, digests);
  const missing = digests.filter((d) => !readable.has(d));
  if (missing.length > 0) {
    throw new CohortError('FAILED_PRECONDITION', `manifest: ${missing.length} blob(s) not uploaded (first: ${missing[0]}); upload them before saving the manifest`);
  }
}

function entries(list: readonly ManifestEntryMessage__Output[]): ManifestEntryInput[] {
  return list.map((e) => ({ path: e.path, digest: e.digest, size: Number(e.size), ref: e.ref }));
}

/** The `cohort.v1.Artifacts` handlers over an {@link ArtifactService}. */
export function createArtifactHandlers(service: ArtifactService, log: Logger, access: Access): ArtifactsHandlers {
  const fail = (err: unknown, what: string) => {
    const error = toPublicError(err);
    if (error.unexpected) log.error({ err }, `${what} failed`);
    else log.debug({ code: error.code, reason: error.message }, `${what} rejected`);
    return toGrpcStatus(error);
  };
  return {
    SaveArtifact(call, callback) {
      const r = call.request;
      void (async () => {
        const principal = await access.grpc(call.metadata, call.getPeer());
        const run = runRef(r.run, access, principal);
        const files = entries(r.entries);
        await checkReadable(access, principal, files);
        return service.save({
          run,
          name: r.name,
          type: r.type,
          aliases: r.aliases,
          tags: r.tags,
          description: r.description,
          metadataJson: r.metadataJson,
          entries: files,
          mode: r.mode,
          distributedId: r.distributedId,
          writer: r.writer,
          expectedWriters: r.expectedWriters,
          waitMs: r.waitMs,
        });
      })()
        .then((view) => callback(null, toVersionMessage(view)))
        .catch((err: unknown) => callback(fail(err, 'SaveArtifact')));
    },
    UseArtifact(call, callback) {
      const r = call.request;
      void (async () => {
        const principal = await access.grpc(call.metadata, call.getPeer());
        const run = runRef(r.run, access, principal);
        // The artifact may name another entity (`entity/project/name:alias`): the caller must see it too.
        assertVisible(principal, parseArtifactPath(r.path, 'path').entity ?? run.entity);
        return service.use(run, r.path, r.type, r.useAs);
      })()
        .then((view) => callback(null, toVersionMessage(view)))
        .catch((err: unknown) => callback(fail(err, 'UseArtifact')));
    },
    GetArtifact(call, callback) {
      const r = call.request;
      void (async () => {
        const principal = await access.grpc(call.metadata, call.getPeer());
        const named = parseArtifactPath(r.path, 'path').entity;
        const entity = access.entity(principal, named ?? r.entity);
        return service.get(entity, r.project, r.path);
      })()
        .then((view) => callback(null, toVersionMessage(view)))
        .catch((err: unknown) => callback(fail(err, 'GetArtifact')));
    },
    LinkArtifact(call, callback) {
      const r = call.request;
      void (async () => {
        const principal = await access.grpc(call.metadata, call.getPeer());
        const source = access.entity(principal, parseArtifactPath(r.path, 'path').entity ?? r.entity);
        assertVisible(principal, parseLinkTarget(r.target, 'target').entity ?? source);
        const run = r.run && r.run.runId !== '' ? runRef(r.run, access, principal) : undefined;
        return service.link(run, source, r.project, r.path, r.target, r.aliases);
      })()
        .then((view) => callback(null, toVersionMessage(view)))
        .catch((err: unknown) => callback(fail(err, 'LinkArtifact')));
    },
    PutRunFiles(call, callback) {
      const r = call.request;
      void (async () => {
        const principal = await access.grpc(call.metadata, call.getPeer());
        const run = runRef(r.run, access, principal);
        const files = entries(r.files);
        await checkReadable(access, principal, files);
        return service.putRunFiles(run, files);
      })()
        .then((paths) => callback(null, { paths }))
        .catch((err: unknown) => callback(fail(err, 'PutRunFiles')));
    },
    GetRunFile(call, callback) {
      const r = call.request;
      void (async () => {
        const principal = await access.grpc(call.metadata, call.getPeer());
        return service.getRunFile(runRef(r.run, access, principal), r.path);
      })()
        .then((file) => callback(null, file ? { found: true, file } : { found: false }))
        .catch((err: unknown) => callback(fail(err, 'GetRunFile')));
    },
  };
}
