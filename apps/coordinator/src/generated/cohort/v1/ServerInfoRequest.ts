// Original file: ../../protos/cohort/v1/service.proto


export interface ServerInfoRequest {
}

export interface ServerInfoRequest__Output {
}
