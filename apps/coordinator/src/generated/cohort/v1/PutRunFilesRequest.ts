// Original file: ../../packages/protocol/protos/cohort/v1/artifacts.proto

import type { RunRef as _cohort_v1_RunRef, RunRef__Output as _cohort_v1_RunRef__Output } from '../../cohort/v1/RunRef.js';
import type { ManifestEntryMessage as _cohort_v1_ManifestEntryMessage, ManifestEntryMessage__Output as _cohort_v1_ManifestEntryMessage__Output } from '../../cohort/v1/ManifestEntryMessage.js';

export interface PutRunFilesRequest {
  'run'?: (_cohort_v1_RunRef | null);
  'files'?: (_cohort_v1_ManifestEntryMessage)[];
}

export interface PutRunFilesRequest__Output {
  'run': (_cohort_v1_RunRef__Output | null);
  'files': (_cohort_v1_ManifestEntryMessage__Output)[];
}
