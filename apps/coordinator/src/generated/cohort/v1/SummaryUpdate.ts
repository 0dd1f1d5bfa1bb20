// Original file: ../../packages/protocol/protos/cohort/v1/records.proto


export interface SummaryUpdate {
  'setJson'?: (string);
  'removed'?: (string)[];
}

export interface SummaryUpdate__Output {
  'setJson': (string);
  'removed': (string)[];
}
