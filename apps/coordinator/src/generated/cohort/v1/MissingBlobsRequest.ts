// Original file: ../../packages/protocol/protos/cohort/v1/blobs.proto


export interface MissingBlobsRequest {
  'digests'?: (string)[];
}

export interface MissingBlobsRequest__Output {
  'digests': (string)[];
}
