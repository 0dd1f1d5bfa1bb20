export type {
  Distribution,
  Goal,
  HyperbandConfig,
  Method,
  MetricConfig,
  ParamValue,
  ParameterNode,
  ParameterSpec,
  SweepConfig,
  SweepConfigIssue,
} from './config-types.js';
export { SweepConfigError } from './config-types.js';
export { parseSweepConfig } from './parse-config.js';
export type { Suggestion, Trial, TrialState } from './trial.js';
export { suggest, targetReached, type SuggestOptions } from './suggest.js';
export { gridSize } from './grid.js';
export { hyperbandBands, trialsToStop } from './hyperband.js';
export { buildCommand, DEFAULT_COMMAND, type CommandContext } from './command.js';
export { paramImportance, type ParamImportance } from './importance.js';
