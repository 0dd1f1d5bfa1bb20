// Original file: ../../packages/protocol/protos/cohort/v1/blobs.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { BlobChunk as _cohort_v1_BlobChunk, BlobChunk__Output as _cohort_v1_BlobChunk__Output } from '../../cohort/v1/BlobChunk.js';
import type { DownloadBlobRequest as _cohort_v1_DownloadBlobRequest, DownloadBlobRequest__Output as _cohort_v1_DownloadBlobRequest__Output } from '../../cohort/v1/DownloadBlobRequest.js';
import type { MissingBlobsRequest as _cohort_v1_MissingBlobsRequest, MissingBlobsRequest__Output as _cohort_v1_MissingBlobsRequest__Output } from '../../cohort/v1/MissingBlobsRequest.js';
import type { MissingBlobsResponse as _cohort_v1_MissingBlobsResponse, MissingBlobsResponse__Output as _cohort_v1_MissingBlobsResponse__Output } from '../../cohort/v1/MissingBlobsResponse.js';
import type { UploadBlobResponse as _cohort_v1_UploadBlobResponse, UploadBlobResponse__Output as _cohort_v1_UploadBlobResponse__Output } from '../../cohort/v1/UploadBlobResponse.js';

export interface BlobsClient extends grpc.Client {
  DownloadBlob(argument: _cohort_v1_DownloadBlobRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_cohort_v1_BlobChunk__Output>;
  DownloadBlob(argument: _cohort_v1_DownloadBlobRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_cohort_v1_BlobChunk__Output>;
  downloadBlob(argument: _cohort_v1_DownloadBlobRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_cohort_v1_BlobChunk__Output>;
  downloadBlob(argument: _cohort_v1_DownloadBlobRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_cohort_v1_BlobChunk__Output>;
  
  MissingBlobs(argument: _cohort_v1_MissingBlobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_MissingBlobsResponse__Output>): grpc.ClientUnaryCall;
  MissingBlobs(argument: _cohort_v1_MissingBlobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_MissingBlobsResponse__Output>): grpc.ClientUnaryCall;
  MissingBlobs(argument: _cohort_v1_MissingBlobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_MissingBlobsResponse__Output>): grpc.ClientUnaryCall;
  MissingBlobs(argument: _cohort_v1_MissingBlobsRequest, callback: grpc.requestCallback<_cohort_v1_MissingBlobsResponse__Output>): grpc.ClientUnaryCall;
  missingBlobs(argument: _cohort_v1_MissingBlobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_MissingBlobsResponse__Output>): grpc.ClientUnaryCall;
  missingBlobs(argument: _cohort_v1_MissingBlobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_MissingBlobsResponse__Output>): grpc.ClientUnaryCall;
  missingBlobs(argument: _cohort_v1_MissingBlobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_MissingBlobsResponse__Output>): grpc.ClientUnaryCall;
  missingBlobs(argument: _cohort_v1_MissingBlobsRequest, callback: grpc.requestCallback<_cohort_v1_MissingBlobsResponse__Output>): grpc.ClientUnaryCall;
  
  UploadBlob(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_UploadBlobResponse__Output>): grpc.ClientWritableStream<_cohort_v1_BlobChunk>;
  UploadBlob(metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_UploadBlobResponse__Output>): grpc.ClientWritableStream<_cohort_v1_BlobChunk>;
  UploadBlob(options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_UploadBlobResponse__Output>): grpc.ClientWritableStream<_cohort_v1_BlobChunk>;
  UploadBlob(callback: grpc.requestCallback<_cohort_v1_UploadBlobResponse__Output>): grpc.ClientWritableStream<_cohort_v1_BlobChunk>;
  uploadBlob(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_UploadBlobResponse__Output>): grpc.ClientWritableStream<_cohort_v1_BlobChunk>;
  uploadBlob(metadata: grpc.Metadata, callback: grpc.requestCallback<_cohort_v1_UploadBlobResponse__Output>): grpc.ClientWritableStream<_cohort_v1_BlobChunk>;
  uploadBlob(options: grpc.CallOptions, callback: grpc.requestCallback<_cohort_v1_UploadBlobResponse__Output>): grpc.ClientWritableStream<_cohort_v1_BlobChunk>;
  uploadBlob(callback: grpc.requestCallback<_cohort_v1_UploadBlobResponse__Output>): grpc.ClientWritableStream<_cohort_v1_BlobChunk>;
  
}

export interface BlobsHandlers extends grpc.UntypedServiceImplementation {
  DownloadBlob: grpc.handleServerStreamingCall<_cohort_v1_DownloadBlobRequest__Output, _cohort_v1_BlobChunk>;
  
  MissingBlobs: grpc.handleUnaryCall<_cohort_v1_MissingBlobsRequest__Output, _cohort_v1_MissingBlobsResponse>;
  
  UploadBlob: grpc.handleClientStreamingCall<_cohort_v1_BlobChunk__Output, _cohort_v1_UploadBlobResponse>;
  
}

export interface BlobsDefinition extends grpc.ServiceDefinition {
  DownloadBlob: MethodDefinition<_cohort_v1_DownloadBlobRequest, _cohort_v1_BlobChunk, _cohort_v1_DownloadBlobRequest__Output, _cohort_v1_BlobChunk__Output>
  MissingBlobs: MethodDefinition<_cohort_v1_MissingBlobsRequest, _cohort_v1_MissingBlobsResponse, _cohort_v1_MissingBlobsRequest__Output, _cohort_v1_MissingBlobsResponse__Output>
  UploadBlob: MethodDefinition<_cohort_v1_BlobChunk, _cohort_v1_UploadBlobResponse, _cohort_v1_BlobChunk__Output, _cohort_v1_UploadBlobResponse__Output>
}
