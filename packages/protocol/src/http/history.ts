import { z } from 'zod';
import { looseObject } from './values.js';

/** One history row as logged: nested values plus `_step`, `_runtime`, `_timestamp`. */
export const historyRowSchema = looseObject('a nested row with `_step`, `_runtime`, `_timestamp`; media leaves are descriptors naming a run file (`path`)');
export type HistoryRow = z.infer<typeof historyRowSchema>;

/** `GET .../history`: rows as logged, or downsampled with full fidelity. */
export const historySchema = z.object({ rows: z.array(historyRowSchema) });

/** `GET .../history/scan`: one page of every row. */
export const historyPageSchema = historySchema.extend({
  /** The `fromStep` of the next page; `null` after the last row. */
  nextStep: z.number().nullable(),
});
export type HistoryPage = z.infer<typeof historyPageSchema>;
