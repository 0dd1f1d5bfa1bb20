/** A parameter value: any JSON value; nested parameters give objects. */
export type ParamValue = unknown;

/** A distribution with its W&B name. `log_uniform`, `inv_log_uniform` and `q_log_uniform` (exponent bounds) are refused, as W&B does. */
export type ParameterSpec =
  | { distribution: 'constant'; value: ParamValue }
  | { distribution: 'categorical'; values: ParamValue[] }
  | { distribution: 'categorical_w_probabilities'; values: ParamValue[]; probabilities: number[] }
  | { distribution: 'int_uniform'; min: number; max: number }
  | { distribution: 'uniform' | 'log_uniform_values' | 'inv_log_uniform_values'; min: number; max: number }
  | { distribution: 'q_uniform' | 'q_log_uniform_values'; min: number; max: number; q: number }
  | { distribution: 'normal' | 'log_normal'; mu: number; sigma: number }
  | { distribution: 'q_normal' | 'q_log_normal'; mu: number; sigma: number; q: number };

export type Distribution = ParameterSpec['distribution'];

/** A parameter as written in `parameters`: a distribution, or nested `parameters`. */
export type ParameterNode = ParameterSpec | { parameters: Record<string, ParameterNode> };

export type Method = 'grid' | 'random' | 'bayes';
export type Goal = 'minimize' | 'maximize';

export interface MetricConfig {
  name: string;
  goal: Goal;
  /** The sweep is done once a finished trial reaches it (at or below for minimize, at or above for maximize). */
  target?: number;
  /** bayes: the value given to failed, crashed and killed trials (W&B's `impute`, default worst). */
  impute: 'worst' | 'best' | 'latest';
  /** Cohort extension: a distributed trial's metric is rank 0's (default) or the mean over its ranks. */
  aggregate: 'rank0' | 'mean';
}

export interface HyperbandConfig {
  type: 'hyperband';
  min_iter?: number;
  max_iter?: number;
  s?: number;
  eta: number;
  /** Compare the value at the band (true, the paper's rule, W&B's default) or the best so far (false). */
  strict: boolean;
}

/** A parsed, validated sweep config in W&B's format, defaults filled. */
export interface SweepConfig {
  method: Method;
  parameters: Record<string, ParameterNode>;
  program?: string;
  command?: string[];
  metric?: MetricConfig;
  early_terminate?: HyperbandConfig;
  run_cap?: number;
  name?: string;
  description?: string;
  project?: string;
  entity?: string;
}

/** One bad thing in a sweep config: where (a dotted path) and which rule it breaks. */
export interface SweepConfigIssue {
  path: string;
  rule: string;
}

export class SweepConfigError extends Error {
  readonly issues: SweepConfigIssue[];
  constructor(issues: SweepConfigIssue[]) {
    super(`invalid sweep config:\n${issues.map((i) => `  ${i.path || '(root)'}: ${i.rule}`).join('\n')}`);
    this.name = 'SweepConfigError';
    this.issues = issues;
  }
}
