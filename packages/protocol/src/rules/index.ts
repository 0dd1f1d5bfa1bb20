/**
 * The Run API rules of docs/run-semantics.md as pure code: one implementation that the
 * SDK (for immediate errors, `run.step`, `run.summary`) and the engine (the
 * stored truth) both call.
 *
 * @example
 * import { normalizeLogData, StepMachine, RowsBuilder } from '@cohort/protocol';
 * const builder = new RowsBuilder();
 * const machine = new StepMachine(0, (row) => builder.add(row, performance.now() / 1000));
 * machine.log(normalizeLogData({ loss: 0.5 }), undefined, undefined, Date.now() / 1000);
 * builder.build(); // one row at step 0
 */
export * from './log-values.js';
export * from './step-machine.js';
export * from './metric-definition.js';
export * from './summary-tracker.js';
export * from './config-state.js';
export * from './names.js';
export * from './group-ids.js';
// ALERT_LEVELS (the same list) reaches the package root from schemas/.
export {
  parseAlert,
  isAlertSuppressed,
  MAX_ALERT_TITLE_LENGTH,
  MAX_ALERT_TEXT_BYTES,
  DEFAULT_ALERT_WAIT_MS,
  type AlertLevel,
  type AlertOptions,
  type ParsedAlert,
} from './alert-rules.js';
export * from './rows-codec.js';
export * from './artifact-rules.js';
export * from './record-rules.js';
export * from './exhaustive.js';
