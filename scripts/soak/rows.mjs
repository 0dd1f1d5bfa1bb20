// The rows the soak's ranks log: deterministic, so the check recomputes them.

/** Metrics per step (issue 7: 20 metrics per step). */
export const METRICS = 20;

/** The row rank `rank` logs at `step`: `m00`..`m19`, exact in float64. */
export function soakRow(rank, step) {
  const row = {};
  for (let j = 0; j < METRICS; j++) row[`m${String(j).padStart(2, '0')}`] = rank * 1000 + j + step / 1024;
  return row;
}
