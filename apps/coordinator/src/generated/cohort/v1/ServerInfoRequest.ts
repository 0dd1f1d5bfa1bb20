// Original file: ../../packages/protocol/protos/cohort/v1/service.proto


export interface ServerInfoRequest {
}

export interface ServerInfoRequest__Output {
}
