// Original file: ../../packages/protocol/protos/cohort/v1/records.proto


export interface MetricDefinition {
  'name'?: (string);
  'stepMetric'?: (string);
  'stepSync'?: (boolean);
  'hidden'?: (boolean);
  'summary'?: (string);
  'goal'?: (string);
  'overwrite'?: (boolean);
}

export interface MetricDefinition__Output {
  'name': (string);
  'stepMetric': (string);
  'stepSync': (boolean);
  'hidden': (boolean);
  'summary': (string);
  'goal': (string);
  'overwrite': (boolean);
}
