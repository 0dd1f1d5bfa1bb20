// Original file: ../../packages/protocol/protos/cohort/v1/records.proto

import type { Rows as _cohort_v1_Rows, Rows__Output as _cohort_v1_Rows__Output } from '../../cohort/v1/Rows.js';
import type { ConfigUpdate as _cohort_v1_ConfigUpdate, ConfigUpdate__Output as _cohort_v1_ConfigUpdate__Output } from '../../cohort/v1/ConfigUpdate.js';
import type { SummaryUpdate as _cohort_v1_SummaryUpdate, SummaryUpdate__Output as _cohort_v1_SummaryUpdate__Output } from '../../cohort/v1/SummaryUpdate.js';
import type { MetricDefinition as _cohort_v1_MetricDefinition, MetricDefinition__Output as _cohort_v1_MetricDefinition__Output } from '../../cohort/v1/MetricDefinition.js';
import type { RunUpdate as _cohort_v1_RunUpdate, RunUpdate__Output as _cohort_v1_RunUpdate__Output } from '../../cohort/v1/RunUpdate.js';
import type { Exit as _cohort_v1_Exit, Exit__Output as _cohort_v1_Exit__Output } from '../../cohort/v1/Exit.js';
import type { Preempting as _cohort_v1_Preempting, Preempting__Output as _cohort_v1_Preempting__Output } from '../../cohort/v1/Preempting.js';
import type { Alert as _cohort_v1_Alert, Alert__Output as _cohort_v1_Alert__Output } from '../../cohort/v1/Alert.js';
import type { SystemMetrics as _cohort_v1_SystemMetrics, SystemMetrics__Output as _cohort_v1_SystemMetrics__Output } from '../../cohort/v1/SystemMetrics.js';
import type { ConsoleOutput as _cohort_v1_ConsoleOutput, ConsoleOutput__Output as _cohort_v1_ConsoleOutput__Output } from '../../cohort/v1/ConsoleOutput.js';
import type { Long } from '@grpc/proto-loader';

export interface Record {
  'seq'?: (number | string | Long);
  'rows'?: (_cohort_v1_Rows | null);
  'config'?: (_cohort_v1_ConfigUpdate | null);
  'summary'?: (_cohort_v1_SummaryUpdate | null);
  'metric'?: (_cohort_v1_MetricDefinition | null);
  'runUpdate'?: (_cohort_v1_RunUpdate | null);
  'exit'?: (_cohort_v1_Exit | null);
  'preempting'?: (_cohort_v1_Preempting | null);
  'alert'?: (_cohort_v1_Alert | null);
  'system'?: (_cohort_v1_SystemMetrics | null);
  'console'?: (_cohort_v1_ConsoleOutput | null);
  'kind'?: "rows"|"config"|"summary"|"metric"|"runUpdate"|"exit"|"preempting"|"alert"|"system"|"console";
}

export interface Record__Output {
  'seq': (number);
  'rows'?: (_cohort_v1_Rows__Output | null);
  'config'?: (_cohort_v1_ConfigUpdate__Output | null);
  'summary'?: (_cohort_v1_SummaryUpdate__Output | null);
  'metric'?: (_cohort_v1_MetricDefinition__Output | null);
  'runUpdate'?: (_cohort_v1_RunUpdate__Output | null);
  'exit'?: (_cohort_v1_Exit__Output | null);
  'preempting'?: (_cohort_v1_Preempting__Output | null);
  'alert'?: (_cohort_v1_Alert__Output | null);
  'system'?: (_cohort_v1_SystemMetrics__Output | null);
  'console'?: (_cohort_v1_ConsoleOutput__Output | null);
  'kind'?: "rows"|"config"|"summary"|"metric"|"runUpdate"|"exit"|"preempting"|"alert"|"system"|"console";
}
