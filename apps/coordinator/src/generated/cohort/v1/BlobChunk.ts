// Original file: ../../packages/protocol/protos/cohort/v1/blobs.proto

import type { BlobHeader as _cohort_v1_BlobHeader, BlobHeader__Output as _cohort_v1_BlobHeader__Output } from '../../cohort/v1/BlobHeader.js';

export interface BlobChunk {
  'header'?: (_cohort_v1_BlobHeader | null);
  'data'?: (Buffer | Uint8Array | string);
  'kind'?: "header"|"data";
}

export interface BlobChunk__Output {
  'header'?: (_cohort_v1_BlobHeader__Output | null);
  'data'?: (Buffer);
  'kind'?: "header"|"data";
}
