import type { NewRun } from '../types.js';

/** A run to create in store tests: running, in `e/p`, named after its id, every field at its empty value unless `over` says otherwise. */
export function newRun(runId: string, over: Partial<NewRun> = {}): NewRun {
  return {
    entity: 'e',
    project: 'p',
    runId,
    name: runId,
    state: 'running',
    exitCode: null,
    group: '',
    jobType: '',
    rank: null,
    worldSize: null,
    localRank: null,
    node: '',
    tags: [],
    notes: '',
    configJson: '{}',
    summaryJson: '{}',
    summaryStateJson: '',
    metricsJson: '[]',
    startTime: 1,
    endTime: null,
    heartbeatAt: null,
    runtime: 0,
    runtimeBase: 0,
    openedAt: 1,
    lastStep: null,
    appliedSeq: 0,
    sweepId: '',
    host: '',
    mode: '',
    forkedFrom: '',
    resumed: false,
    ...over,
  };
}
