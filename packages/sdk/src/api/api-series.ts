/** Options of {@link ApiRun.series}: the dashboard's full-fidelity downsampling. */
export interface SeriesOptions {
  /** Leaf paths (or subtrees); absent: every numeric key not starting with `_`. */
  readonly keys?: readonly string[];
  /** Buckets over the x-range (1 to 100000); each keeps min, max and last. @defaultValue 1000 */
  readonly samples?: number;
  /** `_step`, `_runtime`, `_timestamp` or a step metric. @defaultValue `'_step'` */
  readonly xAxis?: string;
  readonly minStep?: number;
  readonly maxStep?: number;
}

/** One metric downsampled, a run's series, an alert and a state change: the HTTP API's shapes (@cohort/protocol). */
export type { AlertView, SeriesData, SeriesResult, StateEvent as StateEventView } from '@cohort/protocol';
