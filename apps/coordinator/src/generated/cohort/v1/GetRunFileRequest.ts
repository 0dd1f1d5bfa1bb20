// Original file: ../../packages/protocol/protos/cohort/v1/artifacts.proto

import type { RunRef as _cohort_v1_RunRef, RunRef__Output as _cohort_v1_RunRef__Output } from '../../cohort/v1/RunRef.js';

export interface GetRunFileRequest {
  'run'?: (_cohort_v1_RunRef | null);
  'path'?: (string);
}

export interface GetRunFileRequest__Output {
  'run': (_cohort_v1_RunRef__Output | null);
  'path': (string);
}
