// Original file: ../../packages/protocol/protos/cohort/v1/artifacts.proto

import type { RunRef as _cohort_v1_RunRef, RunRef__Output as _cohort_v1_RunRef__Output } from '../../cohort/v1/RunRef.js';

export interface LinkArtifactRequest {
  'run'?: (_cohort_v1_RunRef | null);
  'entity'?: (string);
  'project'?: (string);
  'path'?: (string);
  'target'?: (string);
  'aliases'?: (string)[];
}

export interface LinkArtifactRequest__Output {
  'run': (_cohort_v1_RunRef__Output | null);
  'entity': (string);
  'project': (string);
  'path': (string);
  'target': (string);
  'aliases': (string)[];
}
