// Original file: ../../packages/protocol/protos/cohort/v1/blobs.proto

import type { Long } from '@grpc/proto-loader';

export interface UploadBlobResponse {
  'digest'?: (string);
  'size'?: (number | string | Long);
  'stored'?: (boolean);
}

export interface UploadBlobResponse__Output {
  'digest': (string);
  'size': (number);
  'stored': (boolean);
}
