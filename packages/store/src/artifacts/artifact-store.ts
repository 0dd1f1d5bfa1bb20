import type {
  ArtifactKey,
  ArtifactUse,
  ClaimedAlert,
  SaveArtifactInput,
  StoredAlertDelivery,
  StoredArtifactVersion,
  StoredManifestEntry,
  StoredRunFile,
  StoredConsoleLine,
} from './artifact-types.js';
import * as ops from './artifact-ops.js';
import * as gc from '../blobs/blob-gc-ops.js';
import type { SqlProgram } from './sql-program.js';

/** Runs one {@link SqlProgram} in one transaction of a SQL store. */
export type SqlProgramRunner = <T>(doing: string, program: SqlProgram<T>) => Promise<T>;

/**
 * Artifacts, a run's saved files and alert deliveries: the part of the
 * {@link Store} that issue 5 added (`store.artifacts`). One implementation
 * over both SQL stores: each store hands it a runner that executes an
 * operation in one transaction.
 *
 * @example
 * const v = await store.artifacts.save({ mode: 'log', entity: 'local', project: 'p', name: 'data', type: 'dataset', ... });
 * v.index; // 0
 */
export class ArtifactStore {
  readonly #run: SqlProgramRunner;

  /** @internal The stores build it. */
  constructor(run: SqlProgramRunner) {
    this.#run = run;
  }

  /** logArtifact / upsertArtifact / finishArtifact in one transaction (docs/run-semantics.md §7). */
  save(input: SaveArtifactInput): Promise<StoredArtifactVersion> {
    return this.#run(`save artifact ${input.name}`, ops.saveArtifact(input));
  }

  /** Distinct writers of the pending version of `distributedId`. */
  countPendingWriters(key: ArtifactKey, distributedId: string): Promise<number> {
    return this.#run('count artifact writers', ops.countPendingWriters(key, distributedId));
  }

  /** A version by alias, `vN`, or `pending:<distributedId>`. */
  find(key: ArtifactKey, alias: string): Promise<StoredArtifactVersion | undefined> {
    return this.#run('find artifact', ops.findArtifactVersion(key, alias));
  }

  /** A version by pk. */
  get(pk: number): Promise<StoredArtifactVersion | undefined> {
    return this.#run('get artifact', ops.getArtifactVersion(pk));
  }

  /** The files of a version. */
  files(versionPk: number): Promise<StoredManifestEntry[]> {
    return this.#run('list artifact files', ops.listArtifactFiles(versionPk));
  }

  /** The committed versions of an artifact. */
  versions(key: ArtifactKey): Promise<StoredArtifactVersion[]> {
    return this.#run('list artifact versions', ops.listArtifactVersions(key));
  }

  /** The artifacts of a project. */
  list(entity: string, project: string): Promise<ops.ArtifactListing[]> {
    return this.#run('list artifacts', ops.listArtifacts(entity, project));
  }

  /** Records a run as a consumer of a version. */
  use(versionPk: number, runPk: number, useAs: string, now: number): Promise<void> {
    return this.#run('use artifact', ops.useArtifactVersion(versionPk, runPk, useAs, now));
  }

  /** The consumers of a version. */
  usedBy(versionPk: number): Promise<ArtifactUse[]> {
    return this.#run('list artifact users', ops.listArtifactUsers(versionPk));
  }

  /** The versions a run used. */
  usedByRun(runPk: number): Promise<StoredArtifactVersion[]> {
    return this.#run('list used artifacts', ops.listUsedArtifacts(runPk));
  }

  /** The versions a run logged. */
  loggedByRun(runPk: number): Promise<StoredArtifactVersion[]> {
    return this.#run('list logged artifacts', ops.listLoggedArtifacts(runPk));
  }

  /** Links a committed version into a portfolio. */
  link(sourcePk: number, target: ArtifactKey, aliases: readonly string[], now: number): Promise<StoredArtifactVersion> {
    return this.#run('link artifact', ops.linkArtifactVersion(sourcePk, target, aliases, now));
  }

  /** Records files in a run's files folder. */
  putRunFiles(runPk: number, files: readonly StoredManifestEntry[], now: number): Promise<void> {
    return this.#run('put run files', ops.putRunFiles(runPk, files, now));
  }

  /** A run's files. */
  runFiles(runPk: number): Promise<StoredRunFile[]> {
    return this.#run('list run files', ops.listRunFiles(runPk));
  }

  /** Claims alerts for delivery to a sink (see `claimAlerts`). */
  claimAlerts(sink: string, since: number, now: number, leaseUntil: number, limit: number): Promise<ClaimedAlert[]> {
    return this.#run('claim alerts', ops.claimAlerts(sink, since, now, leaseUntil, limit));
  }

  /** Records the outcome of a delivery attempt. */
  recordAlertDelivery(alertId: number, sink: string, state: 'delivered' | 'dead' | 'claimed', attempts: number, lastError: string, now: number, claimedUntil?: number): Promise<void> {
    return this.#run('record alert delivery', ops.recordAlertDelivery(alertId, sink, state, attempts, lastError, now, claimedUntil));
  }

  /** Console lines of a run after `afterId` (0: from the start), at most `limit`. */
  consoleLines(runPk: number, afterId = 0, limit = 10_000): Promise<StoredConsoleLine[]> {
    return this.#run('list console lines', ops.listConsoleLines(runPk, afterId, limit));
  }

  /** Which of `digests` an artifact version or run file references (blob garbage collection). */
  referencedBlobs(digests: readonly string[]): Promise<Set<string>> {
    return this.#run('find referenced blobs', gc.referencedBlobs(digests));
  }

  /** Marks the unreferenced of `digests` as garbage candidates at `now` (seconds); returns how many are marked. */
  markBlobs(digests: readonly string[], now: number): Promise<number> {
    return this.#run('mark blobs', gc.markBlobs(digests, now));
  }

  /** Removes the garbage marks of `digests` (uploaded or asked about: in use). */
  unmarkBlobs(digests: readonly string[]): Promise<void> {
    return digests.length === 0 ? Promise.resolve() : this.#run('unmark blobs', gc.unmarkBlobs(digests));
  }

  /** Takes up to `limit` blobs marked before `markedBefore` (seconds) and unreferenced, dropping their marks and grants (see `claimBlobGarbage`). */
  claimBlobGarbage(markedBefore: number, limit: number, dryRun = false): Promise<string[]> {
    return this.#run('claim blob garbage', gc.claimBlobGarbage(markedBefore, limit, dryRun));
  }

  /** Delivery records (`dead` ones are the dead letters). */
  alertDeliveries(state?: 'claimed' | 'delivered' | 'dead', limit = 1000): Promise<StoredAlertDelivery[]> {
    return this.#run('list alert deliveries', ops.listAlertDeliveries(state, limit));
  }
}
