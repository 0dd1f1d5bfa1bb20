// Original file: ../../packages/protocol/protos/cohort/v1/artifacts.proto


export interface PutRunFilesResponse {
  'paths'?: (string)[];
}

export interface PutRunFilesResponse__Output {
  'paths': (string)[];
}
