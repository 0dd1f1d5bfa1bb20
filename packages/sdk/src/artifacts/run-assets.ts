import type { Logger } from '../logger.js';
import type { ProgressStream } from '../terminal-progress.js';
import { AssetClient, type WireRunRef } from '../transport/asset-client.js';
import { RunFiles } from '../files/run-files.js';
import { RunArtifacts } from './run-artifacts.js';

/** What a run needs to build its {@link RunAssets}. */
export interface RunAssetsOptions {
  readonly grpcAddress: string;
  readonly apiKey: string | undefined;
  readonly tlsCa: Buffer | undefined;
  readonly run: WireRunRef;
  readonly group: string;
  readonly rank: number;
  readonly runDir: string;
  readonly baseDir: string;
  readonly logger: Logger;
  /** Where long uploads draw their progress (a terminal), or `undefined` (silent). */
  readonly progress: ProgressStream | undefined;
}

/**
 * The artifact, model and file methods of an online run, over their own
 * gRPC channel (uploads never hold up the record stream).
 */
export class RunAssets {
  readonly client: AssetClient;
  readonly artifacts: RunArtifacts;
  readonly files: RunFiles;

  constructor(o: RunAssetsOptions) {
    this.client = new AssetClient(o.grpcAddress, { apiKey: o.apiKey, tlsCa: o.tlsCa });
    const writer = o.rank >= 0 ? `rank ${o.rank} (run ${o.run.runId})` : `run ${o.run.runId}`;
    this.artifacts = new RunArtifacts({ client: this.client, run: o.run, group: o.group, writer, baseDir: o.baseDir, logger: o.logger, progress: o.progress });
    this.files = new RunFiles({ client: this.client, run: o.run, runDir: o.runDir, logger: o.logger });
  }

  /** At the run's end: uploads `live` and `end` files (when finishing, not detaching). */
  async finish(finishing: boolean): Promise<void> {
    if (finishing) await this.files.finish();
    else this.files.close();
  }

  /** Stops polling and closes the channel. */
  close(): void {
    this.files.close();
    this.client.close();
  }
}
