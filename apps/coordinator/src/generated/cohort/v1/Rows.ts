// Original file: ../../packages/protocol/protos/cohort/v1/records.proto


export interface Rows {
  'keys'?: (string)[];
  'steps'?: (number | string)[];
  'timestamps'?: (number | string)[];
  'runtimes'?: (number | string)[];
  'numCounts'?: (number)[];
  'numKeys'?: (number)[];
  'numValues'?: (number | string)[];
  'jsonCounts'?: (number)[];
  'jsonKeys'?: (number)[];
  'jsonValues'?: (string)[];
  'label'?: (string);
}

export interface Rows__Output {
  'keys': (string)[];
  'steps': (number)[];
  'timestamps': (number)[];
  'runtimes': (number)[];
  'numCounts': (number)[];
  'numKeys': (number)[];
  'numValues': (number)[];
  'jsonCounts': (number)[];
  'jsonKeys': (number)[];
  'jsonValues': (string)[];
  'label': (string);
}
