import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Ack as _cohort_v1_Ack, Ack__Output as _cohort_v1_Ack__Output } from './cohort/v1/Ack.js';
import type { Alert as _cohort_v1_Alert, Alert__Output as _cohort_v1_Alert__Output } from './cohort/v1/Alert.js';
import type { ClientFrame as _cohort_v1_ClientFrame, ClientFrame__Output as _cohort_v1_ClientFrame__Output } from './cohort/v1/ClientFrame.js';
import type { ConfigUpdate as _cohort_v1_ConfigUpdate, ConfigUpdate__Output as _cohort_v1_ConfigUpdate__Output } from './cohort/v1/ConfigUpdate.js';
import type { ConsoleOutput as _cohort_v1_ConsoleOutput, ConsoleOutput__Output as _cohort_v1_ConsoleOutput__Output } from './cohort/v1/ConsoleOutput.js';
import type { CoordinatorClient as _cohort_v1_CoordinatorClient, CoordinatorDefinition as _cohort_v1_CoordinatorDefinition } from './cohort/v1/Coordinator.js';
import type { Exit as _cohort_v1_Exit, Exit__Output as _cohort_v1_Exit__Output } from './cohort/v1/Exit.js';
import type { Heartbeat as _cohort_v1_Heartbeat, Heartbeat__Output as _cohort_v1_Heartbeat__Output } from './cohort/v1/Heartbeat.js';
import type { Hello as _cohort_v1_Hello, Hello__Output as _cohort_v1_Hello__Output } from './cohort/v1/Hello.js';
import type { MetricDefinition as _cohort_v1_MetricDefinition, MetricDefinition__Output as _cohort_v1_MetricDefinition__Output } from './cohort/v1/MetricDefinition.js';
import type { OpenRunRequest as _cohort_v1_OpenRunRequest, OpenRunRequest__Output as _cohort_v1_OpenRunRequest__Output } from './cohort/v1/OpenRunRequest.js';
import type { OpenRunResponse as _cohort_v1_OpenRunResponse, OpenRunResponse__Output as _cohort_v1_OpenRunResponse__Output } from './cohort/v1/OpenRunResponse.js';
import type { Preempting as _cohort_v1_Preempting, Preempting__Output as _cohort_v1_Preempting__Output } from './cohort/v1/Preempting.js';
import type { Record as _cohort_v1_Record, Record__Output as _cohort_v1_Record__Output } from './cohort/v1/Record.js';
import type { RecordBatch as _cohort_v1_RecordBatch, RecordBatch__Output as _cohort_v1_RecordBatch__Output } from './cohort/v1/RecordBatch.js';
import type { Rows as _cohort_v1_Rows, Rows__Output as _cohort_v1_Rows__Output } from './cohort/v1/Rows.js';
import type { RunUpdate as _cohort_v1_RunUpdate, RunUpdate__Output as _cohort_v1_RunUpdate__Output } from './cohort/v1/RunUpdate.js';
import type { ServerFrame as _cohort_v1_ServerFrame, ServerFrame__Output as _cohort_v1_ServerFrame__Output } from './cohort/v1/ServerFrame.js';
import type { ServerInfo as _cohort_v1_ServerInfo, ServerInfo__Output as _cohort_v1_ServerInfo__Output } from './cohort/v1/ServerInfo.js';
import type { ServerInfoRequest as _cohort_v1_ServerInfoRequest, ServerInfoRequest__Output as _cohort_v1_ServerInfoRequest__Output } from './cohort/v1/ServerInfoRequest.js';
import type { SummaryUpdate as _cohort_v1_SummaryUpdate, SummaryUpdate__Output as _cohort_v1_SummaryUpdate__Output } from './cohort/v1/SummaryUpdate.js';
import type { SystemMetrics as _cohort_v1_SystemMetrics, SystemMetrics__Output as _cohort_v1_SystemMetrics__Output } from './cohort/v1/SystemMetrics.js';
import type { TagList as _cohort_v1_TagList, TagList__Output as _cohort_v1_TagList__Output } from './cohort/v1/TagList.js';
import type { WalHeader as _cohort_v1_WalHeader, WalHeader__Output as _cohort_v1_WalHeader__Output } from './cohort/v1/WalHeader.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  cohort: {
    v1: {
      Ack: MessageTypeDefinition<_cohort_v1_Ack, _cohort_v1_Ack__Output>
      Alert: MessageTypeDefinition<_cohort_v1_Alert, _cohort_v1_Alert__Output>
      ClientFrame: MessageTypeDefinition<_cohort_v1_ClientFrame, _cohort_v1_ClientFrame__Output>
      ConfigUpdate: MessageTypeDefinition<_cohort_v1_ConfigUpdate, _cohort_v1_ConfigUpdate__Output>
      ConsoleOutput: MessageTypeDefinition<_cohort_v1_ConsoleOutput, _cohort_v1_ConsoleOutput__Output>
      Coordinator: SubtypeConstructor<typeof grpc.Client, _cohort_v1_CoordinatorClient> & { service: _cohort_v1_CoordinatorDefinition }
      Exit: MessageTypeDefinition<_cohort_v1_Exit, _cohort_v1_Exit__Output>
      Heartbeat: MessageTypeDefinition<_cohort_v1_Heartbeat, _cohort_v1_Heartbeat__Output>
      Hello: MessageTypeDefinition<_cohort_v1_Hello, _cohort_v1_Hello__Output>
      MetricDefinition: MessageTypeDefinition<_cohort_v1_MetricDefinition, _cohort_v1_MetricDefinition__Output>
      OpenRunRequest: MessageTypeDefinition<_cohort_v1_OpenRunRequest, _cohort_v1_OpenRunRequest__Output>
      OpenRunResponse: MessageTypeDefinition<_cohort_v1_OpenRunResponse, _cohort_v1_OpenRunResponse__Output>
      Preempting: MessageTypeDefinition<_cohort_v1_Preempting, _cohort_v1_Preempting__Output>
      Record: MessageTypeDefinition<_cohort_v1_Record, _cohort_v1_Record__Output>
      RecordBatch: MessageTypeDefinition<_cohort_v1_RecordBatch, _cohort_v1_RecordBatch__Output>
      Rows: MessageTypeDefinition<_cohort_v1_Rows, _cohort_v1_Rows__Output>
      RunUpdate: MessageTypeDefinition<_cohort_v1_RunUpdate, _cohort_v1_RunUpdate__Output>
      ServerFrame: MessageTypeDefinition<_cohort_v1_ServerFrame, _cohort_v1_ServerFrame__Output>
      ServerInfo: MessageTypeDefinition<_cohort_v1_ServerInfo, _cohort_v1_ServerInfo__Output>
      ServerInfoRequest: MessageTypeDefinition<_cohort_v1_ServerInfoRequest, _cohort_v1_ServerInfoRequest__Output>
      SummaryUpdate: MessageTypeDefinition<_cohort_v1_SummaryUpdate, _cohort_v1_SummaryUpdate__Output>
      SystemMetrics: MessageTypeDefinition<_cohort_v1_SystemMetrics, _cohort_v1_SystemMetrics__Output>
      TagList: MessageTypeDefinition<_cohort_v1_TagList, _cohort_v1_TagList__Output>
      WalHeader: MessageTypeDefinition<_cohort_v1_WalHeader, _cohort_v1_WalHeader__Output>
    }
  }
}

