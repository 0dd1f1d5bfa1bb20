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

/** One metric downsampled: per bucket the x of its last point, and min, max and last value. */
export interface SeriesData {
  readonly x: number[];
  readonly min: number[];
  readonly max: number[];
  readonly last: number[];
  /** Finite points in the range before bucketing. */
  readonly points: number;
  /** True when points were merged (more points than buckets). */
  readonly downsampled: boolean;
}

/** What {@link ApiRun.series} returns. */
export interface SeriesResult {
  readonly xAxis: string;
  readonly buckets: number;
  readonly series: Readonly<Record<string, SeriesData>>;
}

/** An alert of a run. */
export interface AlertView {
  readonly title: string;
  readonly text: string;
  readonly level: string;
  /** Seconds since the epoch. */
  readonly timestamp: number;
  readonly suppressed: boolean;
}

/** One state change of a run (start, preemption, crash, resume, finish). */
export interface StateEventView {
  readonly state: string;
  /** Seconds since the epoch. */
  readonly at: number;
  readonly detail: string;
}
