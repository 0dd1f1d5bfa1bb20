import type { MetricView } from './api.js';

/**
 * What `defineMetric` tells the charts (docs/http-api.md, the run's
 * `metrics`): a `hidden` metric is not charted unless asked, a `stepMetric`
 * is the metric's default x-axis. A name ending in `*` is a glob; an exact
 * name wins over a glob, a longer glob over a shorter one.
 */
export function definitionOf(key: string, metrics: readonly MetricView[]): MetricView | undefined {
  let best: MetricView | undefined;
  for (const m of metrics) {
    if (m.name === key) return m;
    if (m.name.endsWith('*') && key.startsWith(m.name.slice(0, -1)) && (best === undefined || m.name.length > best.name.length)) best = m;
  }
  return best;
}

/** True when `defineMetric(key, { hidden: true })` (or a glob of it) said so. */
export function isHidden(key: string, metrics: readonly MetricView[]): boolean {
  return definitionOf(key, metrics)?.hidden === true;
}

/** The x-axis a key is drawn against by default: its step metric, else `_step`. */
export function defaultXAxis(key: string, metrics: readonly MetricView[]): string {
  const step = definitionOf(key, metrics)?.stepMetric ?? '';
  return step === '' ? '_step' : step;
}

/** Keys by the x-axis each is drawn against: `xAxis` for all, or (for `''`) each key's default. */
export function keysByXAxis(keys: readonly string[], xAxis: string, metrics: readonly MetricView[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const k of keys) {
    const x = xAxis === '' ? defaultXAxis(k, metrics) : xAxis;
    if (!out.has(x)) out.set(x, []);
    out.get(x)!.push(k);
  }
  return out;
}
