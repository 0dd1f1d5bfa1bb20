// Original file: ../../packages/protocol/protos/cohort/v1/artifacts.proto

import type { ManifestEntryMessage as _cohort_v1_ManifestEntryMessage, ManifestEntryMessage__Output as _cohort_v1_ManifestEntryMessage__Output } from '../../cohort/v1/ManifestEntryMessage.js';

export interface GetRunFileResponse {
  'found'?: (boolean);
  'file'?: (_cohort_v1_ManifestEntryMessage | null);
}

export interface GetRunFileResponse__Output {
  'found': (boolean);
  'file': (_cohort_v1_ManifestEntryMessage__Output | null);
}
