// Original file: ../../packages/protocol/protos/cohort/v1/records.proto


export interface Alert {
  'title'?: (string);
  'text'?: (string);
  'level'?: (string);
  'waitDurationMs'?: (number | string);
  'timestamp'?: (number | string);
}

export interface Alert__Output {
  'title': (string);
  'text': (string);
  'level': (string);
  'waitDurationMs': (number);
  'timestamp': (number);
}
