// Original file: ../../packages/protocol/protos/cohort/v1/blobs.proto

import type { Long } from '@grpc/proto-loader';

export interface MissingBlobsResponse {
  'missing'?: (string)[];
  'maxFileBytes'?: (number | string | Long);
}

export interface MissingBlobsResponse__Output {
  'missing': (string)[];
  'maxFileBytes': (number);
}
