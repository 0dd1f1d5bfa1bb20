// Original file: ../../packages/protocol/protos/cohort/v1/artifacts.proto

import type { Long } from '@grpc/proto-loader';

export interface ManifestEntryMessage {
  'path'?: (string);
  'digest'?: (string);
  'size'?: (number | string | Long);
  'ref'?: (string);
}

export interface ManifestEntryMessage__Output {
  'path': (string);
  'digest': (string);
  'size': (number);
  'ref': (string);
}
