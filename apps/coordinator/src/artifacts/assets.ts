import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { ArtifactService, type Engine } from '@cohort/engine';
import { LocalBlobStore, type BlobStore } from '@cohort/store';
import { AlertDispatcher, type AlertDispatcherOptions } from '../alerts/alert-dispatcher.js';
import type { AlertSinkOptions } from '../alerts/alert-sinks.js';
import { createBlobHandlers } from '../blobs/blob-grpc.js';
import { blobGcTask } from '../blobs/blob-gc-task.js';
import { loadAssetServices } from '../blobs/load-asset-services.js';
import type { ScheduledTask } from '../scheduled-tasks.js';
import { createArtifactHandlers } from './artifact-grpc.js';
import { createAssetRoutes } from './asset-routes.js';
import type { Access } from '../auth/access.js';
import type { Principal } from '../auth/principal.js';

/** Options of the coordinator's blob, artifact and alert-delivery part. */
export interface AssetOptions {
  /**
   * The blob folder: embedded mode's local folder, or scaled mode's shared
   * one that every coordinator mounts. @defaultValue `<dataDir>/blobs`; a
   * temporary folder (removed on close) when `dataDir` is `':memory:'`
   */
  blobDir?: string;
  /**
   * Blobs in S3-compatible object storage instead of a folder:
   * `s3://bucket/prefix` (AWS S3, GCS's S3 API, MinIO, Ceph, R2). The
   * endpoint, region and credentials come from the `s3*` options, else the
   * AWS SDK's usual settings (AWS_ENDPOINT_URL, AWS_REGION,
   * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, roles).
   */
  blobStore?: string;
  /** The S3 endpoint (`https://...`), for anything but AWS. @defaultValue AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, else AWS */
  s3Endpoint?: string;
  /** @defaultValue AWS_REGION, else `us-east-1` */
  s3Region?: string;
  /** Path-style S3 addressing. @defaultValue true when an endpoint is set */
  s3ForcePathStyle?: boolean;
  /**
   * Blob and file downloads over HTTP answer 302 to a presigned URL of the
   * object store valid this many seconds (after the same access check), so
   * the bytes do not pass through the coordinator; 0 serves them itself.
   * Only with `blobStore`. @defaultValue 0
   */
  blobRedirectSeconds?: number;
  /** How often blob garbage collection runs; 0 turns it off. @defaultValue 3_600_000 (an hour) */
  blobGcIntervalMs?: number;
  /** How long content sits unreferenced before garbage collection deletes it. @defaultValue 86_400_000 (a day) */
  blobGcGraceMs?: number;
  /** A blob store to use instead (the coordinator does not close it). */
  blobs?: BlobStore;
  /** Where stored alerts are delivered. @defaultValue none */
  alertSinks?: readonly AlertSinkOptions[];
  /** Tuning of the delivery (retries, polling). */
  alertDelivery?: Partial<Pick<AlertDispatcherOptions, 'pollMs' | 'maxAttempts' | 'retryBaseMs' | 'requestTimeoutMs' | 'lookbackSeconds' | 'batchSize'>>;
}

/** The opened asset part of a coordinator. */
export interface Assets {
  readonly service: ArtifactService;
  readonly blobs: BlobStore;
  /** Periodic tasks of the assets (blob garbage collection), for the coordinator's housekeeping. */
  readonly tasks: readonly ScheduledTask[];
  /** Adds the Blobs and Artifacts gRPC services. */
  addTo(server: grpc.Server): void;
  /** HTTP routes for an authenticated caller; false for paths they do not own. */
  routes(req: IncomingMessage, res: ServerResponse, principal: Principal): boolean;
  /** Starts alert delivery (after the servers listen, so run URLs are known). */
  start(): void;
  close(): Promise<void>;
}

/** Opens the blob store, the artifact service and the alert dispatcher of a coordinator. */
export async function openAssets(
  options: AssetOptions & { engine: Engine; dataDir: string; scaled?: unknown; log: Logger; access: Access; maxFileBytes: number; runUrl(run: { entity: string; project: string; runId: string }): string },
): Promise<Assets> {
  let owned: BlobStore | undefined;
  let tempDir: string | undefined;
  let blobs = options.blobs;
  if (!blobs && options.blobStore !== undefined) {
    if (options.blobDir !== undefined) throw new TypeError('Expected one of `blobStore` (s3://...) and `blobDir` (a folder), got both');
    // Loaded only here: a coordinator without S3 never loads the AWS SDK.
    const { S3BlobStore } = await import('@cohort/store/s3');
    blobs = owned = await S3BlobStore.open(options.blobStore, {
      ...(options.s3Endpoint !== undefined && { endpoint: options.s3Endpoint }),
      ...(options.s3Region !== undefined && { region: options.s3Region }),
      ...(options.s3ForcePathStyle !== undefined && { forcePathStyle: options.s3ForcePathStyle }),
    });
  }
  if (!blobs) {
    let dir = options.blobDir;
    if (dir === undefined) {
      if (options.scaled) options.log.warn('scaled mode without `blobDir`: blobs go to a folder of this coordinator only; give every coordinator one shared folder');
      if (options.dataDir === ':memory:') dir = tempDir = await mkdtemp(join(tmpdir(), 'cohort-blobs-'));
      else dir = join(resolve(options.dataDir), 'blobs');
    }
    blobs = owned = await LocalBlobStore.open(dir);
  }
  const service = new ArtifactService(options.engine.store, blobs, { defaultEntity: options.engine.defaultEntity });
  const dispatcher = new AlertDispatcher({
    store: options.engine.store,
    sinks: options.alertSinks ?? [],
    log: options.log.child({ component: 'alerts' }),
    runUrl: options.runUrl,
    ...options.alertDelivery,
  });
  const redirectSeconds = options.blobRedirectSeconds ?? 0;
  if (redirectSeconds > 0 && !blobs.downloadUrl) throw new TypeError('Expected `blobRedirectSeconds` only with `blobStore` (an object store signs the URLs), got it with a folder');
  const routes = createAssetRoutes({
    service,
    store: options.engine.store,
    access: options.access,
    log: options.log.child({ component: 'assets-http' }),
    ...(redirectSeconds > 0 && { redirectSeconds }),
  });
  const gcInterval = options.blobGcIntervalMs ?? 3_600_000;
  const tasks = gcInterval > 0
    ? [blobGcTask({ blobs, artifacts: options.engine.store.artifacts, intervalMs: gcInterval, graceMs: options.blobGcGraceMs ?? 86_400_000, log: options.log.child({ component: 'blob-gc' }) })]
    : [];
  return {
    service,
    blobs,
    tasks,
    addTo(server) {
      const services = loadAssetServices();
      server.addService(
        services.blobs.cohort.v1.Blobs.service,
        createBlobHandlers({ blobs: service.blobs, marks: options.engine.store.artifacts, log: options.log.child({ component: 'blobs' }), access: options.access, maxFileBytes: options.maxFileBytes }),
      );
      server.addService(services.artifacts.cohort.v1.Artifacts.service, createArtifactHandlers(service, options.log.child({ component: 'artifacts' }), options.access));
    },
    routes,
    start: () => dispatcher.start(),
    async close() {
      await dispatcher.close();
      await owned?.close();
      if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
    },
  };
}
