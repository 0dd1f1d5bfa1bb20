/** Console lines of one stream of a run, as one applied record carries them. */
export interface ConsoleChunk {
  /** Seconds since the epoch. */
  readonly at: number;
  readonly stream: 'stdout' | 'stderr';
  readonly label: string;
  readonly lines: readonly string[];
}

/** A stored console line (`output.log`). */
export interface StoredConsoleLine {
  readonly id: number;
  readonly at: number;
  readonly stream: 'stdout' | 'stderr';
  readonly label: string;
  readonly line: string;
}

/** Where an artifact (a named series of versions) lives. */
export interface ArtifactKey {
  readonly entity: string;
  readonly project: string;
  readonly name: string;
}

/** One file of a version, as stored. */
export interface StoredManifestEntry {
  readonly path: string;
  /** sha256 hex of the content; for a reference its checksum or etag, or ''. */
  readonly digest: string;
  readonly size: number;
  /** A reference's URI, or '' for content in the blob store. */
  readonly ref: string;
}

/** `PENDING` while distributed writers add files; `COMMITTED` (immutable) after. */
export type ArtifactVersionState = 'PENDING' | 'COMMITTED';

/** A stored artifact version, with its artifact's fields. */
export interface StoredArtifactVersion extends ArtifactKey {
  readonly pk: number;
  readonly artifactPk: number;
  readonly type: string;
  /** 3 for `v3`; `undefined` while pending. */
  readonly index: number | undefined;
  readonly state: ArtifactVersionState;
  readonly digest: string;
  readonly distributedId: string;
  readonly description: string;
  /** A JSON object's text. */
  readonly metadataJson: string;
  readonly tags: readonly string[];
  readonly aliases: readonly string[];
  readonly size: number;
  readonly fileCount: number;
  readonly loggedByRunPk: number | undefined;
  /** For a version linked into a portfolio: the version it links to. */
  readonly sourceVersionPk: number | undefined;
  readonly createdAt: number;
  readonly committedAt: number | undefined;
  /** True when the call found byte-identical content and returned that version instead of a new one. */
  readonly deduplicated?: boolean;
}

/** What `logArtifact`, `upsertArtifact` and `finishArtifact` ask of the store. */
export interface SaveArtifactInput extends ArtifactKey {
  readonly mode: 'log' | 'upsert' | 'finish';
  readonly type: string;
  /** Checked aliases (including `latest` for log and finish). */
  readonly aliases: readonly string[];
  readonly tags: readonly string[];
  /** Kept when not given (`undefined`): an upsert need not repeat them. */
  readonly description: string | undefined;
  readonly metadataJson: string | undefined;
  /** Checked entries; paths unique within the call. */
  readonly entries: readonly StoredManifestEntry[];
  /** upsert/finish: the writers' shared id. */
  readonly distributedId: string;
  /** Names the writer in conflict errors. */
  readonly writer: string;
  readonly runPk: number;
  readonly now: number;
}

/** A file of a run's files folder (`run.save`). */
export interface StoredRunFile {
  readonly path: string;
  readonly digest: string;
  readonly size: number;
  readonly updatedAt: number;
}

/** A run that used an artifact version. */
export interface ArtifactUse {
  readonly runPk: number;
  readonly useAs: string;
  readonly at: number;
}

/** The outcome of delivering one alert to one sink. */
export type AlertDeliveryState = 'claimed' | 'delivered' | 'dead';

/** An alert claimed for delivery to a sink. */
export interface ClaimedAlert {
  readonly alertId: number;
  readonly runPk: number;
  readonly title: string;
  readonly text: string;
  readonly level: string;
  readonly timestamp: number;
  /** Earlier attempts (a claim that expired keeps them). */
  readonly attempts: number;
}

/** A delivery record (`dead` ones are the dead letters). */
export interface StoredAlertDelivery {
  readonly alertId: number;
  readonly sink: string;
  readonly state: AlertDeliveryState;
  readonly attempts: number;
  readonly lastError: string;
  readonly updatedAt: number;
}
