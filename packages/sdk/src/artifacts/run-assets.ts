import type { Logger } from '../logger.js';
import type { ProgressStream } from '../terminal-progress.js';
import type { AssetClient, WireRunRef } from '../transport/asset-client.js';
import { RunFiles } from '../files/run-files.js';
import { RunArtifacts } from './run-artifacts.js';

/** What a run needs to build its {@link RunAssets}. */
export interface RunAssetsOptions {
  /** The server's asset channel (its own, so uploads never hold up the record stream); `undefined` offline. */
  readonly client: AssetClient | undefined;
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
 * The artifact, model and file methods of a run. Online they talk to the
 * server; offline `save`, `logArtifact`, `logModel` and `logCode` record into
 * the run folder for `cohort sync`, and the rest need a server.
 */
export class RunAssets {
  readonly client: AssetClient | undefined;
  readonly artifacts: RunArtifacts;
  readonly files: RunFiles;

  constructor(o: RunAssetsOptions) {
    this.client = o.client;
    const writer = o.rank >= 0 ? `rank ${o.rank} (run ${o.run.runId})` : `run ${o.run.runId}`;
    this.artifacts = new RunArtifacts({ client: o.client, runDir: o.runDir, run: o.run, group: o.group, writer, baseDir: o.baseDir, logger: o.logger, progress: o.progress });
    this.files = new RunFiles({ client: o.client, run: o.run, runDir: o.runDir, logger: o.logger });
  }

  /** At the run's end: uploads (offline: copies) `live` and `end` files (when finishing, not detaching). */
  async finish(finishing: boolean): Promise<void> {
    if (finishing) await this.files.finish();
    else this.files.close();
  }

  /** Stops polling and closes the channel. */
  close(): void {
    this.files.close();
    this.client?.close();
  }
}
