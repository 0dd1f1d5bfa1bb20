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
import { loadAssetServices } from '../blobs/load-asset-services.js';
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
  let owned: LocalBlobStore | undefined;
  let tempDir: string | undefined;
  let blobs = options.blobs;
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
  const routes = createAssetRoutes({ service, store: options.engine.store, access: options.access, log: options.log.child({ component: 'assets-http' }) });
  return {
    service,
    blobs,
    addTo(server) {
      const services = loadAssetServices();
      server.addService(services.blobs.cohort.v1.Blobs.service, createBlobHandlers({ blobs: service.blobs, log: options.log.child({ component: 'blobs' }), access: options.access, maxFileBytes: options.maxFileBytes }));
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
