// Original file: ../../packages/protocol/protos/cohort/v1/records.proto


export interface Exit {
  'exitCode'?: (number);
  'updateFinishState'?: (boolean);
  'signal'?: (string);
  'error'?: (string);
  'crashed'?: (boolean);
}

export interface Exit__Output {
  'exitCode': (number);
  'updateFinishState': (boolean);
  'signal': (string);
  'error': (string);
  'crashed': (boolean);
}
