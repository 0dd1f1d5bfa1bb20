import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { BlobChunk as _cohort_v1_BlobChunk, BlobChunk__Output as _cohort_v1_BlobChunk__Output } from './cohort/v1/BlobChunk.js';
import type { BlobHeader as _cohort_v1_BlobHeader, BlobHeader__Output as _cohort_v1_BlobHeader__Output } from './cohort/v1/BlobHeader.js';
import type { BlobsClient as _cohort_v1_BlobsClient, BlobsDefinition as _cohort_v1_BlobsDefinition } from './cohort/v1/Blobs.js';
import type { DownloadBlobRequest as _cohort_v1_DownloadBlobRequest, DownloadBlobRequest__Output as _cohort_v1_DownloadBlobRequest__Output } from './cohort/v1/DownloadBlobRequest.js';
import type { MissingBlobsRequest as _cohort_v1_MissingBlobsRequest, MissingBlobsRequest__Output as _cohort_v1_MissingBlobsRequest__Output } from './cohort/v1/MissingBlobsRequest.js';
import type { MissingBlobsResponse as _cohort_v1_MissingBlobsResponse, MissingBlobsResponse__Output as _cohort_v1_MissingBlobsResponse__Output } from './cohort/v1/MissingBlobsResponse.js';
import type { UploadBlobResponse as _cohort_v1_UploadBlobResponse, UploadBlobResponse__Output as _cohort_v1_UploadBlobResponse__Output } from './cohort/v1/UploadBlobResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  cohort: {
    v1: {
      BlobChunk: MessageTypeDefinition<_cohort_v1_BlobChunk, _cohort_v1_BlobChunk__Output>
      BlobHeader: MessageTypeDefinition<_cohort_v1_BlobHeader, _cohort_v1_BlobHeader__Output>
      Blobs: SubtypeConstructor<typeof grpc.Client, _cohort_v1_BlobsClient> & { service: _cohort_v1_BlobsDefinition }
      DownloadBlobRequest: MessageTypeDefinition<_cohort_v1_DownloadBlobRequest, _cohort_v1_DownloadBlobRequest__Output>
      MissingBlobsRequest: MessageTypeDefinition<_cohort_v1_MissingBlobsRequest, _cohort_v1_MissingBlobsRequest__Output>
      MissingBlobsResponse: MessageTypeDefinition<_cohort_v1_MissingBlobsResponse, _cohort_v1_MissingBlobsResponse__Output>
      UploadBlobResponse: MessageTypeDefinition<_cohort_v1_UploadBlobResponse, _cohort_v1_UploadBlobResponse__Output>
    }
  }
}

