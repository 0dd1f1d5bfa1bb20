// Original file: ../../packages/protocol/protos/cohort/v1/records.proto


export interface Preempting {
}

export interface Preempting__Output {
}
