// Original file: ../../packages/protocol/protos/cohort/v1/artifacts.proto


export interface GetArtifactRequest {
  'entity'?: (string);
  'project'?: (string);
  'path'?: (string);
}

export interface GetArtifactRequest__Output {
  'entity': (string);
  'project': (string);
  'path': (string);
}
