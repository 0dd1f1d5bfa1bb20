// Original file: ../../packages/protocol/protos/cohort/v1/service.proto

import type { Long } from '@grpc/proto-loader';

export interface Ack {
  'committedSeq'?: (number | string | Long);
}

export interface Ack__Output {
  'committedSeq': (number);
}
