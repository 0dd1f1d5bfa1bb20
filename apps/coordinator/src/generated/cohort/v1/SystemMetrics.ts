// Original file: ../../packages/protocol/protos/cohort/v1/records.proto


export interface SystemMetrics {
  'timestamp'?: (number | string);
  'keys'?: (string)[];
  'values'?: (number | string)[];
  'label'?: (string);
}

export interface SystemMetrics__Output {
  'timestamp': (number);
  'keys': (string)[];
  'values': (number)[];
  'label': (string);
}
