// Original file: ../../packages/protocol/protos/cohort/v1/records.proto


export interface ConsoleOutput {
  'timestamp'?: (number | string);
  'stream'?: (string);
  'lines'?: (string)[];
  'label'?: (string);
}

export interface ConsoleOutput__Output {
  'timestamp': (number);
  'stream': (string);
  'lines': (string)[];
  'label': (string);
}
