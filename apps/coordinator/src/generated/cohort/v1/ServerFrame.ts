// Original file: ../../packages/protocol/protos/cohort/v1/service.proto

import type { Ack as _cohort_v1_Ack, Ack__Output as _cohort_v1_Ack__Output } from '../../cohort/v1/Ack.js';

export interface ServerFrame {
  'ack'?: (_cohort_v1_Ack | null);
  'kind'?: "ack";
}

export interface ServerFrame__Output {
  'ack'?: (_cohort_v1_Ack__Output | null);
  'kind'?: "ack";
}
