/**
 * Exponential moving average with debiasing (TensorBoard's smoothing):
 * `weight` 0 returns the values, 0.99 smooths hard. Nulls and non-finite
 * values pass through untouched and do not enter the average.
 */
export function smooth(values: ReadonlyArray<number | null>, weight: number): Array<number | null> {
  if (weight <= 0) return values.slice();
  const out: Array<number | null> = new Array(values.length);
  let last = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) {
      out[i] = v ?? null;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    n++;
    out[i] = last / (1 - weight ** n);
  }
  return out;
}
