// Original file: ../../packages/protocol/protos/cohort/v1/service.proto


export interface ServerInfo {
  'version'?: (string);
  'grpcAddress'?: (string);
  'httpUrl'?: (string);
  'defaultEntity'?: (string);
}

export interface ServerInfo__Output {
  'version': (string);
  'grpcAddress': (string);
  'httpUrl': (string);
  'defaultEntity': (string);
}
