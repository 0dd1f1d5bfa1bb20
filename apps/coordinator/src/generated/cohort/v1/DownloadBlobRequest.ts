// Original file: ../../packages/protocol/protos/cohort/v1/blobs.proto


export interface DownloadBlobRequest {
  'digest'?: (string);
}

export interface DownloadBlobRequest__Output {
  'digest': (string);
}
