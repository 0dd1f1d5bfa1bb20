// Original file: ../../packages/protocol/protos/cohort/v1/service.proto

import type { Hello as _cohort_v1_Hello, Hello__Output as _cohort_v1_Hello__Output } from '../../cohort/v1/Hello.js';
import type { RecordBatch as _cohort_v1_RecordBatch, RecordBatch__Output as _cohort_v1_RecordBatch__Output } from '../../cohort/v1/RecordBatch.js';
import type { Heartbeat as _cohort_v1_Heartbeat, Heartbeat__Output as _cohort_v1_Heartbeat__Output } from '../../cohort/v1/Heartbeat.js';

export interface ClientFrame {
  'hello'?: (_cohort_v1_Hello | null);
  'batch'?: (_cohort_v1_RecordBatch | null);
  'heartbeat'?: (_cohort_v1_Heartbeat | null);
  'kind'?: "hello"|"batch"|"heartbeat";
}

export interface ClientFrame__Output {
  'hello'?: (_cohort_v1_Hello__Output | null);
  'batch'?: (_cohort_v1_RecordBatch__Output | null);
  'heartbeat'?: (_cohort_v1_Heartbeat__Output | null);
  'kind'?: "hello"|"batch"|"heartbeat";
}
