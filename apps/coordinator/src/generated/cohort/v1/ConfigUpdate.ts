// Original file: ../../packages/protocol/protos/cohort/v1/records.proto


export interface ConfigUpdate {
  'valuesJson'?: (string);
  'allowValChange'?: (boolean);
  'removed'?: (string)[];
}

export interface ConfigUpdate__Output {
  'valuesJson': (string);
  'allowValChange': (boolean);
  'removed': (string)[];
}
