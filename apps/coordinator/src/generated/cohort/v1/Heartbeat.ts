// Original file: ../../packages/protocol/protos/cohort/v1/service.proto


export interface Heartbeat {
  'timestamp'?: (number | string);
}

export interface Heartbeat__Output {
  'timestamp': (number);
}
