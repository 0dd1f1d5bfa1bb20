import { z } from 'zod';
import { int, num } from './values.js';

/**
 * One metric, downsampled: bucket `i` holds `min[i]`, `max[i]` and `last[i]`
 * of its points, drawn at `x[i]` (the x of its last point). Buckets without a
 * finite value are left out, so the arrays may be shorter than the bucket count.
 */
export const seriesDataSchema = z.object({
  x: z.array(num).describe('per bucket: the x of its last point'),
  min: z.array(num),
  max: z.array(num),
  last: z.array(num),
  /** Points in the range (finite values), before bucketing. */
  points: int().describe('finite points in the range before bucketing'),
  /** True when points were merged into buckets (more points than buckets). */
  downsampled: z.boolean(),
});
export type SeriesData = z.infer<typeof seriesDataSchema>;

/** `GET .../series`: a run's numeric metrics by key, in first-logged order. */
export const seriesResultSchema = z.object({ xAxis: z.string(), buckets: int(), series: z.record(z.string(), seriesDataSchema) });
export type SeriesResult = z.infer<typeof seriesResultSchema>;

/** A run's series in {@link runsSeriesSchema}: `min` and `max` absent when asked without the band. */
export const runSeriesDataSchema = seriesDataSchema.partial({ min: true, max: true });
export type RunSeriesData = z.infer<typeof runSeriesDataSchema>;

/** `GET /api/v1/series/:entity/:project`: one metric of many runs. */
export const runsSeriesSchema = z.object({
  key: z.string(),
  xAxis: z.string(),
  buckets: int(),
  /** By run id, in the order asked; a run that never logged the key is left out. */
  runs: z.record(z.string(), runSeriesDataSchema).describe('by run id, in the order asked; a run that never logged the key is left out; `min` and `max` absent with band=0'),
  /** Run ids asked for that do not exist in the project. */
  missing: z.array(z.string()).describe('run ids asked for that do not exist in the project'),
});
export type RunsSeriesResult = z.infer<typeof runsSeriesSchema>;
