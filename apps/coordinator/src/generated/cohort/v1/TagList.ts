// Original file: ../../packages/protocol/protos/cohort/v1/records.proto


export interface TagList {
  'tags'?: (string)[];
}

export interface TagList__Output {
  'tags': (string)[];
}
