// Original file: ../../packages/protocol/protos/cohort/v1/blobs.proto

import type { Long } from '@grpc/proto-loader';

export interface BlobHeader {
  'digest'?: (string);
  'size'?: (number | string | Long);
}

export interface BlobHeader__Output {
  'digest': (string);
  'size': (number);
}
