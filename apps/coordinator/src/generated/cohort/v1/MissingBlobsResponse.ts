// Original file: ../../protos/cohort/v1/blobs.proto


export interface MissingBlobsResponse {
  'missing'?: (string)[];
}

export interface MissingBlobsResponse__Output {
  'missing': (string)[];
}
