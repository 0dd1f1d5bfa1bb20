// Original file: ../../packages/protocol/protos/cohort/v1/records.proto

import type { OpenRunRequest as _cohort_v1_OpenRunRequest, OpenRunRequest__Output as _cohort_v1_OpenRunRequest__Output } from '../../cohort/v1/OpenRunRequest.js';

export interface WalHeader {
  'formatVersion'?: (number);
  'open'?: (_cohort_v1_OpenRunRequest | null);
}

export interface WalHeader__Output {
  'formatVersion': (number);
  'open': (_cohort_v1_OpenRunRequest__Output | null);
}
