// Original file: ../../packages/protocol/protos/cohort/v1/artifacts.proto

import type { RunRef as _cohort_v1_RunRef, RunRef__Output as _cohort_v1_RunRef__Output } from '../../cohort/v1/RunRef.js';

export interface UseArtifactRequest {
  'run'?: (_cohort_v1_RunRef | null);
  'path'?: (string);
  'type'?: (string);
  'useAs'?: (string);
}

export interface UseArtifactRequest__Output {
  'run': (_cohort_v1_RunRef__Output | null);
  'path': (string);
  'type': (string);
  'useAs': (string);
}
