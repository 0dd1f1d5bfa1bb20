// Original file: ../../packages/protocol/protos/cohort/v1/artifacts.proto


export interface RunRef {
  'entity'?: (string);
  'project'?: (string);
  'runId'?: (string);
}

export interface RunRef__Output {
  'entity': (string);
  'project': (string);
  'runId': (string);
}
