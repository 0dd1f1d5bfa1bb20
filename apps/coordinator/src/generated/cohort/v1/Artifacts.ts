// Original file: ../../packages/protocol/protos/cohort/v1/artifacts.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ArtifactVersion as _cohort_v1_ArtifactVersion, ArtifactVersion__Output as _cohort_v1_ArtifactVersion__Output } from '../../cohort/v1/ArtifactVersion.js';
import type { GetArtifactRequest as _cohort_v1_GetArtifactRequest, GetArtifactRequest__Output as _cohort_v1_GetArtifactRequest__Output } from '../../cohort/v1/GetArtifactRequest.js';
import type { GetRunFileRequest as _cohort_v1_GetRunFileRequest, GetRunFileRequest__Output as _cohort_v1_GetRunFileRequest__Output } from '../../cohort/v1/GetRunFileRequest.js';
import type { GetRunFileResponse as _cohort_v1_GetRunFileResponse, GetRunFileResponse__Output as _cohort_v1_GetRunFileResponse__Output } from '../../cohort/v1/GetRunFileResponse.js';
import type { LinkArtifactRequest as _cohort_v1_LinkArtifactRequest, LinkArtifactRequest__Output as _cohort_v1_LinkArtifactRequest__Output } from '../../cohort/v1/LinkArtifactRequest.js';
import type { PutRunFilesRequest as _cohort_v1_PutRunFilesRequest, PutRunFilesRequest__Output as _cohort_v1_PutRunFilesRequest__Output } from '../../cohort/v1/PutRunFilesRequest.js';
import type { PutRunFilesResponse as _cohort_v1_PutRunFilesResponse, PutRunFilesResponse__Output as _cohort_v1_PutRunFilesResponse__Output } from '../../cohort/v1/PutRunFilesResponse.js';
import type { SaveArtifactRequest as _cohort_v1_SaveArtifactRequest, SaveArtifactRequest__Output as _cohort_v1_SaveArtifactRequest__Output } from '../../cohort/v1/SaveArtifactRequest.js';
import type { UseArtifactRequest as _cohort_v1_UseArtifactRequest, UseArtifactRequest__Output as _cohort_v1_UseArtifactRequest__Output } from '../../cohort/v1/UseArtifactRequest.js';

export interface ArtifactsClient extends grpc.Client {
  GetArtifact(argument: _cohort_v1_GetArtifactRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  GetArtifact(argument: _cohort_v1_GetArtifactRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  GetArtifact(argument: _cohort_v1_GetArtifactRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  GetArtifact(argument: _cohort_v1_GetArtifactRequest, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  getArtifact(argument: _cohort_v1_GetArtifactRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  getArtifact(argument: _cohort_v1_GetArtifactRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  getArtifact(argument: _cohort_v1_GetArtifactRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  getArtifact(argument: _cohort_v1_GetArtifactRequest, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  
  GetRunFile(argument: _cohort_v1_GetRunFileRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_GetRunFileResponse__Output>): grpc.ClientUnaryCall;
  GetRunFile(argument: _cohort_v1_GetRunFileRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_GetRunFileResponse__Output>): grpc.ClientUnaryCall;
  GetRunFile(argument: _cohort_v1_GetRunFileRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_GetRunFileResponse__Output>): grpc.ClientUnaryCall;
  GetRunFile(argument: _cohort_v1_GetRunFileRequest, callback: grpc.requestCallback<_cohort_v1_GetRunFileResponse__Output>): grpc.ClientUnaryCall;
  getRunFile(argument: _cohort_v1_GetRunFileRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_GetRunFileResponse__Output>): grpc.ClientUnaryCall;
  getRunFile(argument: _cohort_v1_GetRunFileRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_GetRunFileResponse__Output>): grpc.ClientUnaryCall;
  getRunFile(argument: _cohort_v1_GetRunFileRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_GetRunFileResponse__Output>): grpc.ClientUnaryCall;
  getRunFile(argument: _cohort_v1_GetRunFileRequest, callback: grpc.requestCallback<_cohort_v1_GetRunFileResponse__Output>): grpc.ClientUnaryCall;
  
  LinkArtifact(argument: _cohort_v1_LinkArtifactRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  LinkArtifact(argument: _cohort_v1_LinkArtifactRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  LinkArtifact(argument: _cohort_v1_LinkArtifactRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  LinkArtifact(argument: _cohort_v1_LinkArtifactRequest, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  linkArtifact(argument: _cohort_v1_LinkArtifactRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  linkArtifact(argument: _cohort_v1_LinkArtifactRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  linkArtifact(argument: _cohort_v1_LinkArtifactRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  linkArtifact(argument: _cohort_v1_LinkArtifactRequest, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  
  PutRunFiles(argument: _cohort_v1_PutRunFilesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_PutRunFilesResponse__Output>): grpc.ClientUnaryCall;
  PutRunFiles(argument: _cohort_v1_PutRunFilesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_PutRunFilesResponse__Output>): grpc.ClientUnaryCall;
  PutRunFiles(argument: _cohort_v1_PutRunFilesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_PutRunFilesResponse__Output>): grpc.ClientUnaryCall;
  PutRunFiles(argument: _cohort_v1_PutRunFilesRequest, callback: grpc.requestCallback<_cohort_v1_PutRunFilesResponse__Output>): grpc.ClientUnaryCall;
  putRunFiles(argument: _cohort_v1_PutRunFilesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_PutRunFilesResponse__Output>): grpc.ClientUnaryCall;
  putRunFiles(argument: _cohort_v1_PutRunFilesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_PutRunFilesResponse__Output>): grpc.ClientUnaryCall;
  putRunFiles(argument: _cohort_v1_PutRunFilesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_PutRunFilesResponse__Output>): grpc.ClientUnaryCall;
  putRunFiles(argument: _cohort_v1_PutRunFilesRequest, callback: grpc.requestCallback<_cohort_v1_PutRunFilesResponse__Output>): grpc.ClientUnaryCall;
  
  SaveArtifact(argument: _cohort_v1_SaveArtifactRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  SaveArtifact(argument: _cohort_v1_SaveArtifactRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  SaveArtifact(argument: _cohort_v1_SaveArtifactRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  SaveArtifact(argument: _cohort_v1_SaveArtifactRequest, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  saveArtifact(argument: _cohort_v1_SaveArtifactRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  saveArtifact(argument: _cohort_v1_SaveArtifactRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  saveArtifact(argument: _cohort_v1_SaveArtifactRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  saveArtifact(argument: _cohort_v1_SaveArtifactRequest, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  
  UseArtifact(argument: _cohort_v1_UseArtifactRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  UseArtifact(argument: _cohort_v1_UseArtifactRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  UseArtifact(argument: _cohort_v1_UseArtifactRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  UseArtifact(argument: _cohort_v1_UseArtifactRequest, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  useArtifact(argument: _cohort_v1_UseArtifactRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  useArtifact(argument: _cohort_v1_UseArtifactRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  useArtifact(argument: _cohort_v1_UseArtifactRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  useArtifact(argument: _cohort_v1_UseArtifactRequest, callback: grpc.requestCallback<_cohort_v1_ArtifactVersion__Output>): grpc.ClientUnaryCall;
  
}

export interface ArtifactsHandlers extends grpc.UntypedServiceImplementation {
  GetArtifact: grpc.handleUnaryCall<_cohort_v1_GetArtifactRequest__Output, _cohort_v1_ArtifactVersion>;
  
  GetRunFile: grpc.handleUnaryCall<_cohort_v1_GetRunFileRequest__Output, _cohort_v1_GetRunFileResponse>;
  
  LinkArtifact: grpc.handleUnaryCall<_cohort_v1_LinkArtifactRequest__Output, _cohort_v1_ArtifactVersion>;
  
  PutRunFiles: grpc.handleUnaryCall<_cohort_v1_PutRunFilesRequest__Output, _cohort_v1_PutRunFilesResponse>;
  
  SaveArtifact: grpc.handleUnaryCall<_cohort_v1_SaveArtifactRequest__Output, _cohort_v1_ArtifactVersion>;
  
  UseArtifact: grpc.handleUnaryCall<_cohort_v1_UseArtifactRequest__Output, _cohort_v1_ArtifactVersion>;
  
}

export interface ArtifactsDefinition extends grpc.ServiceDefinition {
  GetArtifact: MethodDefinition<_cohort_v1_GetArtifactRequest, _cohort_v1_ArtifactVersion, _cohort_v1_GetArtifactRequest__Output, _cohort_v1_ArtifactVersion__Output>
  GetRunFile: MethodDefinition<_cohort_v1_GetRunFileRequest, _cohort_v1_GetRunFileResponse, _cohort_v1_GetRunFileRequest__Output, _cohort_v1_GetRunFileResponse__Output>
  LinkArtifact: MethodDefinition<_cohort_v1_LinkArtifactRequest, _cohort_v1_ArtifactVersion, _cohort_v1_LinkArtifactRequest__Output, _cohort_v1_ArtifactVersion__Output>
  PutRunFiles: MethodDefinition<_cohort_v1_PutRunFilesRequest, _cohort_v1_PutRunFilesResponse, _cohort_v1_PutRunFilesRequest__Output, _cohort_v1_PutRunFilesResponse__Output>
  SaveArtifact: MethodDefinition<_cohort_v1_SaveArtifactRequest, _cohort_v1_ArtifactVersion, _cohort_v1_SaveArtifactRequest__Output, _cohort_v1_ArtifactVersion__Output>
  UseArtifact: MethodDefinition<_cohort_v1_UseArtifactRequest, _cohort_v1_ArtifactVersion, _cohort_v1_UseArtifactRequest__Output, _cohort_v1_ArtifactVersion__Output>
}
