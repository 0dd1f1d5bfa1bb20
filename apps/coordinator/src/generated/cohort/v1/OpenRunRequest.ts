// Original file: ../../packages/protocol/protos/cohort/v1/records.proto


export interface OpenRunRequest {
  'entity'?: (string);
  'project'?: (string);
  'runId'?: (string);
  'name'?: (string);
  'group'?: (string);
  'jobType'?: (string);
  'tags'?: (string)[];
  'notes'?: (string);
  'configJson'?: (string);
  'resume'?: (string);
  'resumeFrom'?: (string);
  'forkFrom'?: (string);
  'rank'?: (number);
  'worldSize'?: (number);
  'localRank'?: (number);
  'node'?: (string);
  'startTime'?: (number | string);
  'mode'?: (string);
  'label'?: (string);
  'primary'?: (boolean);
  'sweepId'?: (string);
  'host'?: (string);
  'offline'?: (boolean);
  'restartAttempt'?: (number);
  'groupKey'?: (string);
  'groupToken'?: (string);
  'groupSlot'?: (string);
}

export interface OpenRunRequest__Output {
  'entity': (string);
  'project': (string);
  'runId': (string);
  'name': (string);
  'group': (string);
  'jobType': (string);
  'tags': (string)[];
  'notes': (string);
  'configJson': (string);
  'resume': (string);
  'resumeFrom': (string);
  'forkFrom': (string);
  'rank': (number);
  'worldSize': (number);
  'localRank': (number);
  'node': (string);
  'startTime': (number);
  'mode': (string);
  'label': (string);
  'primary': (boolean);
  'sweepId': (string);
  'host': (string);
  'offline': (boolean);
  'restartAttempt': (number);
  'groupKey': (string);
  'groupToken': (string);
  'groupSlot': (string);
}
