/**
 * Parse at the boundary: zod schemas of decoded records and requests, with
 * the limits every record must respect.
 *
 * @example
 * import { parseRecord } from '@cohort/protocol';
 * const record = parseRecord(bytes, 0); // throws CohortError INVALID_ARGUMENT naming the field
 */
export { DEFAULT_LIMITS, LIMIT_NAMES, resolveLimits, parseLimitOverrides, limitsOverrideSchema, type Limits } from './limits.js';
export { ALERT_LEVELS } from '../rules/alert-rules.js';
export { createRecordSchema, recordSchema, checkRecord, parseRecord, MAX_CONSOLE_LINE_CHARS, MAX_CONSOLE_LINES_PER_RECORD, MAX_EXIT_ERROR_CHARS } from './record-schema.js';
export { MAX_CLAIM_LENGTH, RESUME_MODES, createOpenRunRequestSchema, openRunRequestSchema, parseOpenRunRequest } from './open-run-schema.js';
export { checkRows, type RowsIssue } from './rows-checks.js';
export { formatIssue, formatPath } from './format-issue.js';
export { parseStoredState, storedObjectSchema, storedMetricDefinitionSchema, storedMetricDefinitionsSchema, storedSummaryStateSchema } from './stored-state-schema.js';
