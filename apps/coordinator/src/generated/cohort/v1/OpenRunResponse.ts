// Original file: ../../packages/protocol/protos/cohort/v1/records.proto

import type { Long } from '@grpc/proto-loader';

export interface OpenRunResponse {
  'entity'?: (string);
  'project'?: (string);
  'runId'?: (string);
  'name'?: (string);
  'resumed'?: (boolean);
  'startingStep'?: (number | string);
  'runtimeOffset'?: (number | string);
  'appliedSeq'?: (number | string | Long);
  'summaryStateJson'?: (string);
  'configJson'?: (string);
  'tags'?: (string)[];
  'notes'?: (string);
  'group'?: (string);
  'jobType'?: (string);
  'url'?: (string);
  'startTime'?: (number | string);
  'state'?: (string);
}

export interface OpenRunResponse__Output {
  'entity': (string);
  'project': (string);
  'runId': (string);
  'name': (string);
  'resumed': (boolean);
  'startingStep': (number);
  'runtimeOffset': (number);
  'appliedSeq': (number);
  'summaryStateJson': (string);
  'configJson': (string);
  'tags': (string)[];
  'notes': (string);
  'group': (string);
  'jobType': (string);
  'url': (string);
  'startTime': (number);
  'state': (string);
}
