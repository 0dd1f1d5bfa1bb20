/**
 * Numbers people can read: axis ticks with SI prefixes or scientific notation
 * as the range needs (a learning rate around 3e-4 keeps distinct ticks),
 * hovers that never round a small value to `0`, thousands separators, and
 * `_timestamp`/`_runtime` as a date and a duration. `locale` is the
 * reader's (the browser's) unless a caller names one.
 */

const SI: ReadonlyArray<[number, string]> = [
  [1e15, 'P'],
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/** Below this magnitude (and not 0) a value is written in scientific notation. */
const SMALL = 1e-3;
/** From this magnitude ticks take an SI prefix (`165k`, `2.5M`). */
const LARGE_TICK = 1e4;
/** From this magnitude a non-integer hover value is written in scientific notation. */
const HUGE = 1e15;

/** Number formats by locale and options: `toLocaleString` with options builds one per call (about 0.1 ms, per hover row). */
const FORMATS = new Map<string, Intl.NumberFormat>();

/** `v.toLocaleString(locale, { minimumFractionDigits, maximumFractionDigits | maximumSignificantDigits })` from a kept format. */
function localized(v: number, locale: string | undefined, o: { minFrac?: number; maxFrac?: number; maxSig?: number } = {}): string {
  const key = `${locale ?? ''}|${o.minFrac ?? ''}|${o.maxFrac ?? ''}|${o.maxSig ?? ''}`;
  let f = FORMATS.get(key);
  if (f === undefined) {
    f = new Intl.NumberFormat(locale, {
      ...(o.minFrac !== undefined && { minimumFractionDigits: o.minFrac }),
      ...(o.maxFrac !== undefined && { maximumFractionDigits: o.maxFrac }),
      ...(o.maxSig !== undefined && { maximumSignificantDigits: o.maxSig }),
    });
    if (FORMATS.size < 256) FORMATS.set(key, f);
  }
  return f.format(v);
}

function special(v: number): string | undefined {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  return undefined;
}

/** `3.1416e-4`, trailing zeros of the mantissa dropped; at most `digits` after the point. */
export function scientific(v: number, digits = 4): string {
  const [mantissa, exp] = v.toExponential(digits).split('e') as [string, string];
  const m = mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa;
  return `${m}e${exp.startsWith('+') ? exp.slice(1) : exp}`;
}

/**
 * A value as a hover or a table shows it: integers with thousands
 * separators, other values to 6 significant digits, scientific below 1e-3
 * (so `0.0003` reads `3e-4`, never `0`).
 */
export function formatNumber(v: number, locale?: string): string {
  const s = special(v);
  if (s !== undefined) return s;
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < HUGE) return localized(v, locale, { maxFrac: 0 });
  if (a !== 0 && (a < SMALL || a >= HUGE)) return scientific(v, 5);
  const intDigits = a < 1 ? 0 : Math.floor(Math.log10(a)) + 1;
  return localized(v, locale, a < 1 ? { maxSig: 6 } : { maxFrac: Math.max(0, 6 - intDigits) });
}

/** Digits after the point that tell ticks `incr` apart when written in units of `unit`. */
function decimalsFor(incr: number, unit: number): number {
  const x = incr / unit;
  if (!(x > 0) || !Number.isFinite(x)) return 0;
  // The fewest digits that write the increment exactly (0.25 needs 2, 5e-6 in units of 1e-4 needs 2).
  for (let d = 0; d < 12; d++) if (Math.abs(Math.round(x * 10 ** d) - x * 10 ** d) < 1e-6) return d;
  return 12;
}

/**
 * Tick labels of a linear axis whose ticks are `incr` apart: SI prefixes from
 * 1e4 (`165k`, `1.25M`), scientific below 1e-3 (`2.95e-4`), otherwise fixed
 * decimals with thousands separators, always as many digits as the increment
 * needs and no more, so neighbouring ticks differ.
 */
export function formatTicks(ticks: readonly number[], incr: number, locale?: string): string[] {
  const finite = ticks.filter((t) => Number.isFinite(t));
  const mag = finite.reduce((m, t) => Math.max(m, Math.abs(t)), 0);
  if (mag >= LARGE_TICK) {
    // Each tick its own prefix (`800M`, `1.0G`), with the digits the increment needs.
    return ticks.map((t) => {
      const s = special(t);
      if (s !== undefined) return s;
      if (t === 0) return '0';
      const [unit, prefix] = SI.find(([u]) => Math.abs(t) >= u) ?? [1, ''];
      const dec = decimalsFor(incr, unit);
      return `${localized(t / unit, locale, { minFrac: dec, maxFrac: dec })}${prefix}`;
    });
  }
  if (mag !== 0 && mag < SMALL) {
    const exp = Math.floor(Math.log10(mag));
    const dec = decimalsFor(incr, 10 ** exp);
    return ticks.map((t) => special(t) ?? (t === 0 ? '0' : `${(t / 10 ** exp).toFixed(dec)}e${exp}`));
  }
  const dec = decimalsFor(incr, 1);
  return ticks.map((t) => special(t) ?? localized(t, locale, { minFrac: dec, maxFrac: dec }));
}

/**
 * Tick labels of a log axis (decades and their multiples): each value on its
 * own, compact. A tick uPlot leaves unlabelled (null: a multiple where the
 * decades are close) is blank.
 */
export function formatLogTicks(ticks: ReadonlyArray<number | null>, locale?: string): string[] {
  return ticks.map((t) => {
    if (t === null) return '';
    const s = special(t);
    if (s !== undefined) return s;
    const a = Math.abs(t);
    if (a >= LARGE_TICK) {
      const [unit, prefix] = SI.find(([u]) => a >= u)!;
      return `${localized(Number((t / unit).toPrecision(3)), locale)}${prefix}`;
    }
    if (a !== 0 && a < SMALL) return scientific(t, 2);
    return localized(Number(t.toPrecision(3)), locale);
  });
}

/** Seconds since the epoch as local date and time. */
export function formatTime(seconds: number | null | undefined, locale?: string): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '';
  const d = new Date(seconds * 1000);
  return d.toLocaleString(locale, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** A duration in seconds as `2d 03h`, `1h 02m`, `3m 04s` or `5.2s`. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '';
  if (seconds < 0) return `-${formatDuration(-seconds)}`;
  if (seconds < 60) return `${Number(seconds.toFixed(1))}s`;
  const s = Math.floor(seconds);
  const dd = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  const two = (n: number): string => String(n).padStart(2, '0');
  if (dd > 0) return `${dd}d ${two(hh)}h`;
  return hh > 0 ? `${hh}h ${two(mm)}m` : `${mm}m ${two(ss)}s`;
}

/** Tick increments (seconds) of a duration axis: whole seconds, minutes, hours, days. */
export const DURATION_INCRS = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 1209600, 2592000, 7776000, 31536000,
];

/** Tick labels of a duration axis (`_runtime`): `0`, `30s`, `1m 30s`, `2h 00m`. */
export function formatDurationTicks(ticks: readonly number[]): string[] {
  return ticks.map((t) => (t === 0 ? '0' : formatDuration(t)));
}

/** How a value of a named key reads: `_timestamp` as a date, `_runtime` as a duration, numbers by {@link formatNumber}. */
export function formatKeyed(key: string, v: number, locale?: string): string {
  const leaf = key.slice(key.lastIndexOf('.') + 1);
  if (leaf === '_timestamp' && Number.isFinite(v)) return formatTime(v, locale);
  if (leaf === '_runtime' && Number.isFinite(v)) return formatDuration(v);
  return formatNumber(v, locale);
}
