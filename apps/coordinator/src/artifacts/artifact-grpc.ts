import type { Logger } from 'pino';
import type { ArtifactService, ArtifactVersionView, ManifestEntryInput, RunRefInput } from '@cohort/engine';
import type { ArtifactsHandlers } from '../generated/cohort/v1/Artifacts.js';
import type { ArtifactVersion } from '../generated/cohort/v1/ArtifactVersion.js';
import type { RunRef__Output } from '../generated/cohort/v1/RunRef.js';
import type { ManifestEntryMessage__Output } from '../generated/cohort/v1/ManifestEntryMessage.js';
import { toGrpcStatus, toPublicError } from '../grpc-status.js';
import { CohortError } from '@cohort/protocol';

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

function runRef(ref: RunRef__Output | null): RunRefInput {
  if (!ref || ref.project === '' || ref.runId === '') throw new CohortError('INVALID_ARGUMENT', 'Expected `run` (project and runId) in the request');
  return { entity: ref.entity, project: ref.project, runId: ref.runId };
}

function entries(list: readonly ManifestEntryMessage__Output[]): ManifestEntryInput[] {
  return list.map((e) => ({ path: e.path, digest: e.digest, size: Number(e.size), ref: e.ref }));
}

/** The `cohort.v1.Artifacts` handlers over an {@link ArtifactService}. */
export function createArtifactHandlers(service: ArtifactService, log: Logger): ArtifactsHandlers {
  const fail = (err: unknown, what: string) => {
    const error = toPublicError(err);
    if (error.unexpected) log.error({ err }, `${what} failed`);
    else log.debug({ code: error.code, reason: error.message }, `${what} rejected`);
    return toGrpcStatus(error);
  };
  return {
    SaveArtifact(call, callback) {
      const r = call.request;
      service
        .save({
          run: runRef(r.run),
          name: r.name,
          type: r.type,
          aliases: r.aliases,
          tags: r.tags,
          description: r.description,
          metadataJson: r.metadataJson,
          entries: entries(r.entries),
          mode: r.mode,
          distributedId: r.distributedId,
          writer: r.writer,
          expectedWriters: r.expectedWriters,
          waitMs: r.waitMs,
        })
        .then((view) => callback(null, toVersionMessage(view)))
        .catch((err: unknown) => callback(fail(err, 'SaveArtifact')));
    },
    UseArtifact(call, callback) {
      const r = call.request;
      Promise.resolve()
        .then(() => service.use(runRef(r.run), r.path, r.type, r.useAs))
        .then((view) => callback(null, toVersionMessage(view)))
        .catch((err: unknown) => callback(fail(err, 'UseArtifact')));
    },
    GetArtifact(call, callback) {
      const r = call.request;
      service
        .get(r.entity, r.project, r.path)
        .then((view) => callback(null, toVersionMessage(view)))
        .catch((err: unknown) => callback(fail(err, 'GetArtifact')));
    },
    LinkArtifact(call, callback) {
      const r = call.request;
      service
        .link(r.run ?? undefined, r.entity, r.project, r.path, r.target, r.aliases)
        .then((view) => callback(null, toVersionMessage(view)))
        .catch((err: unknown) => callback(fail(err, 'LinkArtifact')));
    },
    PutRunFiles(call, callback) {
      const r = call.request;
      Promise.resolve()
        .then(() => service.putRunFiles(runRef(r.run), entries(r.files)))
        .then((paths) => callback(null, { paths }))
        .catch((err: unknown) => callback(fail(err, 'PutRunFiles')));
    },
    GetRunFile(call, callback) {
      const r = call.request;
      Promise.resolve()
        .then(() => service.getRunFile(runRef(r.run), r.path))
        .then((file) => callback(null, file ? { found: true, file } : { found: false }))
        .catch((err: unknown) => callback(fail(err, 'GetRunFile')));
    },
  };
}
