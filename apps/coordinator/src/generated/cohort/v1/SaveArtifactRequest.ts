// Original file: ../../packages/protocol/protos/cohort/v1/artifacts.proto

import type { RunRef as _cohort_v1_RunRef, RunRef__Output as _cohort_v1_RunRef__Output } from '../../cohort/v1/RunRef.js';
import type { ManifestEntryMessage as _cohort_v1_ManifestEntryMessage, ManifestEntryMessage__Output as _cohort_v1_ManifestEntryMessage__Output } from '../../cohort/v1/ManifestEntryMessage.js';

export interface SaveArtifactRequest {
  'run'?: (_cohort_v1_RunRef | null);
  'name'?: (string);
  'type'?: (string);
  'aliases'?: (string)[];
  'tags'?: (string)[];
  'description'?: (string);
  'metadataJson'?: (string);
  'entries'?: (_cohort_v1_ManifestEntryMessage)[];
  'mode'?: (string);
  'distributedId'?: (string);
  'writer'?: (string);
  'expectedWriters'?: (number);
  'waitMs'?: (number);
}

export interface SaveArtifactRequest__Output {
  'run': (_cohort_v1_RunRef__Output | null);
  'name': (string);
  'type': (string);
  'aliases': (string)[];
  'tags': (string)[];
  'description': (string);
  'metadataJson': (string);
  'entries': (_cohort_v1_ManifestEntryMessage__Output)[];
  'mode': (string);
  'distributedId': (string);
  'writer': (string);
  'expectedWriters': (number);
  'waitMs': (number);
}
