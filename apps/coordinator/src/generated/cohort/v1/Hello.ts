// Original file: ../../packages/protocol/protos/cohort/v1/service.proto


export interface Hello {
  'entity'?: (string);
  'project'?: (string);
  'runId'?: (string);
  'label'?: (string);
}

export interface Hello__Output {
  'entity': (string);
  'project': (string);
  'runId': (string);
  'label': (string);
}
