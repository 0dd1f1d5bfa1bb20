// Original file: ../../packages/protocol/protos/cohort/v1/service.proto


export interface RecordBatch {
  'records'?: (Buffer | Uint8Array | string)[];
}

export interface RecordBatch__Output {
  'records': (Buffer)[];
}
