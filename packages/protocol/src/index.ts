/**
 * The wire contract of Cohort: record shapes and their binary codec, leaf
 * paths, JSON that keeps NaN, errors with stable codes, and the Run API rules
 * (docs/run-semantics.md) that the SDK and the engine both call.
 *
 * @example
 * import { encodeRecord, decodeRecord } from '@cohort/protocol';
 * const bytes = encodeRecord({ seq: 1, kind: 'exit', exit: { exitCode: 0, updateFinishState: true } });
 * decodeRecord(bytes).kind; // 'exit'
 */
export * from './errors.js';
export * from './json.js';
export * from './leaf-path.js';
export * from './records.js';
export * from './codec.js';
export * from './proto-files.js';
export * from './schemas/index.js';
export * from './rules/index.js';
export * from './batch-job.js';
export * from './http/index.js';
