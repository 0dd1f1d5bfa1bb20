import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { CoordinatorClient as _cohort_v1_CoordinatorClient, CoordinatorDefinition as _cohort_v1_CoordinatorDefinition } from './cohort/v1/Coordinator.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  cohort: {
    v1: {
      Ack: MessageTypeDefinition
      Alert: MessageTypeDefinition
      ClientFrame: MessageTypeDefinition
      ConfigUpdate: MessageTypeDefinition
      Coordinator: SubtypeConstructor<typeof grpc.Client, _cohort_v1_CoordinatorClient> & { service: _cohort_v1_CoordinatorDefinition }
      Exit: MessageTypeDefinition
      Heartbeat: MessageTypeDefinition
      Hello: MessageTypeDefinition
      MetricDefinition: MessageTypeDefinition
      OpenRunRequest: MessageTypeDefinition
      OpenRunResponse: MessageTypeDefinition
      Preempting: MessageTypeDefinition
      Record: MessageTypeDefinition
      RecordBatch: MessageTypeDefinition
      Rows: MessageTypeDefinition
      RunUpdate: MessageTypeDefinition
      ServerFrame: MessageTypeDefinition
      ServerInfo: MessageTypeDefinition
      ServerInfoRequest: MessageTypeDefinition
      SummaryUpdate: MessageTypeDefinition
      TagList: MessageTypeDefinition
      WalHeader: MessageTypeDefinition
    }
  }
}

