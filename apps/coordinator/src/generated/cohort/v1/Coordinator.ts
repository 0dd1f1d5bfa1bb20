// Original file: ../../packages/protocol/protos/cohort/v1/service.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ClientFrame as _cohort_v1_ClientFrame, ClientFrame__Output as _cohort_v1_ClientFrame__Output } from '../../cohort/v1/ClientFrame.js';
import type { OpenRunRequest as _cohort_v1_OpenRunRequest, OpenRunRequest__Output as _cohort_v1_OpenRunRequest__Output } from '../../cohort/v1/OpenRunRequest.js';
import type { OpenRunResponse as _cohort_v1_OpenRunResponse, OpenRunResponse__Output as _cohort_v1_OpenRunResponse__Output } from '../../cohort/v1/OpenRunResponse.js';
import type { ServerFrame as _cohort_v1_ServerFrame, ServerFrame__Output as _cohort_v1_ServerFrame__Output } from '../../cohort/v1/ServerFrame.js';
import type { ServerInfo as _cohort_v1_ServerInfo, ServerInfo__Output as _cohort_v1_ServerInfo__Output } from '../../cohort/v1/ServerInfo.js';
import type { ServerInfoRequest as _cohort_v1_ServerInfoRequest, ServerInfoRequest__Output as _cohort_v1_ServerInfoRequest__Output } from '../../cohort/v1/ServerInfoRequest.js';

export interface CoordinatorClient extends grpc.Client {
  GetServerInfo(argument: _cohort_v1_ServerInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ServerInfo__Output>): grpc.ClientUnaryCall;
  GetServerInfo(argument: _cohort_v1_ServerInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ServerInfo__Output>): grpc.ClientUnaryCall;
  GetServerInfo(argument: _cohort_v1_ServerInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ServerInfo__Output>): grpc.ClientUnaryCall;
  GetServerInfo(argument: _cohort_v1_ServerInfoRequest, callback: grpc.requestCallback<_cohort_v1_ServerInfo__Output>): grpc.ClientUnaryCall;
  getServerInfo(argument: _cohort_v1_ServerInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ServerInfo__Output>): grpc.ClientUnaryCall;
  getServerInfo(argument: _cohort_v1_ServerInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ServerInfo__Output>): grpc.ClientUnaryCall;
  getServerInfo(argument: _cohort_v1_ServerInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ServerInfo__Output>): grpc.ClientUnaryCall;
  getServerInfo(argument: _cohort_v1_ServerInfoRequest, callback: grpc.requestCallback<_cohort_v1_ServerInfo__Output>): grpc.ClientUnaryCall;
  
  OpenRun(argument: _cohort_v1_OpenRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_OpenRunResponse__Output>): grpc.ClientUnaryCall;
  OpenRun(argument: _cohort_v1_OpenRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_OpenRunResponse__Output>): grpc.ClientUnaryCall;
  OpenRun(argument: _cohort_v1_OpenRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_OpenRunResponse__Output>): grpc.ClientUnaryCall;
  OpenRun(argument: _cohort_v1_OpenRunRequest, callback: grpc.requestCallback<_cohort_v1_OpenRunResponse__Output>): grpc.ClientUnaryCall;
  openRun(argument: _cohort_v1_OpenRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_OpenRunResponse__Output>): grpc.ClientUnaryCall;
  openRun(argument: _cohort_v1_OpenRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_OpenRunResponse__Output>): grpc.ClientUnaryCall;
  openRun(argument: _cohort_v1_OpenRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_OpenRunResponse__Output>): grpc.ClientUnaryCall;
  openRun(argument: _cohort_v1_OpenRunRequest, callback: grpc.requestCallback<_cohort_v1_OpenRunResponse__Output>): grpc.ClientUnaryCall;
  
  StreamRecords(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_cohort_v1_ClientFrame, _cohort_v1_ServerFrame__Output>;
  StreamRecords(options?: grpc.CallOptions): grpc.ClientDuplexStream<_cohort_v1_ClientFrame, _cohort_v1_ServerFrame__Output>;
  streamRecords(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_cohort_v1_ClientFrame, _cohort_v1_ServerFrame__Output>;
  streamRecords(options?: grpc.CallOptions): grpc.ClientDuplexStream<_cohort_v1_ClientFrame, _cohort_v1_ServerFrame__Output>;
  
}

export interface CoordinatorHandlers extends grpc.UntypedServiceImplementation {
  GetServerInfo: grpc.handleUnaryCall<_cohort_v1_ServerInfoRequest__Output, _cohort_v1_ServerInfo>;
  
  OpenRun: grpc.handleUnaryCall<_cohort_v1_OpenRunRequest__Output, _cohort_v1_OpenRunResponse>;
  
  StreamRecords: grpc.handleBidiStreamingCall<_cohort_v1_ClientFrame__Output, _cohort_v1_ServerFrame>;
  
}

export interface CoordinatorDefinition extends grpc.ServiceDefinition {
  GetServerInfo: MethodDefinition<_cohort_v1_ServerInfoRequest, _cohort_v1_ServerInfo, _cohort_v1_ServerInfoRequest__Output, _cohort_v1_ServerInfo__Output>
  OpenRun: MethodDefinition<_cohort_v1_OpenRunRequest, _cohort_v1_OpenRunResponse, _cohort_v1_OpenRunRequest__Output, _cohort_v1_OpenRunResponse__Output>
  StreamRecords: MethodDefinition<_cohort_v1_ClientFrame, _cohort_v1_ServerFrame, _cohort_v1_ClientFrame__Output, _cohort_v1_ServerFrame__Output>
}
